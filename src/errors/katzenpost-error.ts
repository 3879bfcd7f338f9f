/**
 * Base of every error this SDK throws or emits. `code` is a string for
 * errors raised locally (e.g. `'ERR_TIMEOUT'`) and the numeric wire code for
 * errors reported by the daemon (see {@link DaemonError}).
 *
 * Messages never contain capabilities, seeds, envelope descriptors or
 * plaintexts: only sizes, kinds and public identifiers.
 */
export class KatzenpostError extends Error {
  override readonly name: string = 'KatzenpostError';
  readonly code: string | number;

  constructor(code: string | number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
