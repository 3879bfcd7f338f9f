/**
 * The SDK's logging hook. Messages and fields never carry secrets (write
 * capabilities, seeds, envelope descriptors, plaintexts): only kinds,
 * sizes and public ids.
 *
 * @example
 * ThinClient.connect(config, { logger: { ...silentLogger, warn: (m, f) => console.warn(m, f) } });
 */
export interface Logger {
  /** Frame-level detail: requests sent, replies matched. */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Lifecycle: connected, reconnected, session resumed. */
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something recovered from: a lost connection, an unexpected frame. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something not recovered from. */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const noop = (): void => undefined;

/** The default: logs nothing. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
