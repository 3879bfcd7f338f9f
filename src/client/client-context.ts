import type { Observable, SchedulerLike } from 'rxjs';
import type { ConnectionState } from '../core/connection-state.js';
import type { IdGenerator } from '../core/ids.js';
import type { QueryTarget } from './encryption-connections.js';
import type { RequestEngine } from './request-engine.js';

/**
 * What the feature modules (messaging, PKI, Pigeonhole, streams) need from
 * the client. They are plain functions of this context, so `ThinClient`
 * stays a thin façade and each feature lives in its own file.
 */
export interface ClientContext {
  readonly requests: RequestEngine;
  /**
   * Where `encrypt_read` / `encrypt_write` go: the client's encryption
   * connections when it has some (`options.encryptionConnections`), else
   * `requests`.
   */
  readonly encryptions: QueryTarget;
  /** How many encryption connections `encryptions` spreads over (0: none, they go to `requests`). */
  readonly encryptionConnections: number;
  readonly ids: IdGenerator;
  readonly scheduler: SchedulerLike;
  /** The current connection state (geometry, mixnet flag). */
  state(): ConnectionState;
  /** The connection state as it changes (replays the current one). */
  readonly state$: Observable<ConnectionState>;
  /** Fresh random bytes from the client's CSPRNG (temporary channel seeds). */
  randomBytes(length: number): Uint8Array;
}
