import { KatzenpostError } from './katzenpost-error.js';

/** Context attached to an error reply from the daemon. */
export interface DaemonErrorContext {
  /** The wire name of the request that failed, e.g. `encrypt_write`. */
  readonly request?: string;
  /** Extra explanation appended to the message (never secrets). */
  readonly detail?: string;
}

/**
 * An error code reported by the daemon in a reply's `error_code`.
 * `code` is the numeric wire code; `codeName` its upstream name.
 * Subclasses exist for every code: {@link ThinClientError} for the daemon's
 * own namespace (0–32) and {@link ReplicaError} for replica codes (1–11).
 */
export abstract class DaemonError extends KatzenpostError {
  declare readonly code: number;
  /** The upstream name of the code, e.g. `BoxIDNotFound`. */
  abstract readonly codeName: string;
  /** Which code table `code` belongs to (PROTOCOL.md §7.3). */
  abstract readonly namespace: 'thin-client' | 'replica';
  readonly request: string | undefined;

  constructor(code: number, description: string, context: DaemonErrorContext = {}) {
    const prefix = context.request ? `${context.request}: ` : '';
    const suffix = context.detail ? ` (${context.detail})` : '';
    super(code, `${prefix}${description} (code ${code})${suffix}`);
    this.request = context.request;
  }
}
