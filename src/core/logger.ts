/**
 * The SDK's logging hook. Messages and fields never carry secrets (write
 * capabilities, seeds, envelope descriptors, plaintexts): only kinds,
 * sizes and public ids.
 *
 * @example
 * ThinClient.connect(config, { logger: { ...silentLogger, warn: (m, f) => console.warn(m, f) } });
 */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const noop = (): void => undefined;

/** The default: logs nothing. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
