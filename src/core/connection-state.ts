import type { PigeonholeGeometry, SphinxGeometry } from '../wire/messages.js';

/**
 * Where the client stands, for UIs to bind to (`client.state$`).
 *
 * - `daemon`: the local socket to kpclientd — `idle` (not asked to
 *   connect: before `connect()`, or after `disconnect()`), `connecting`
 *   (first dial), `handshaking` (socket open, waiting for the daemon's
 *   greeting and session reply; an offline daemon takes up to 30 s here),
 *   `connected`, `reconnecting` (lost, retrying with backoff), `closed` (by
 *   `close()`, or the reconnect policy gave up: `connect()` starts over).
 * - `mixnet`: the daemon's own link to the mix network (`is_connected`); false
 *   whenever we are not connected to the daemon. While false the daemon is
 *   in "offline mode": local requests work, network requests wait.
 */
export interface ConnectionState {
  readonly daemon: 'idle' | 'connecting' | 'handshaking' | 'connected' | 'reconnecting' | 'closed';
  readonly mixnet: boolean;
  /** The daemon process's identity (`instance_token`): changes when it restarts. */
  readonly instanceToken: Uint8Array | null;
  /** The daemon's id for our session (informational). */
  readonly appId: Uint8Array | null;
  /** Whether the daemon resumed our previous session on the last handshake. */
  readonly resumed: boolean;
  /** Reconnect attempts since the connection was lost (0 while connected). */
  readonly reconnectAttempt: number;
  /** The error that ended the last connection or attempt, if any. */
  readonly lastError: Error | null;
  /** Geometries from the last `connection_status_event` (null before the first). */
  readonly sphinxGeometry: SphinxGeometry | null;
  readonly pigeonholeGeometry: PigeonholeGeometry | null;
}

export const initialConnectionState: ConnectionState = Object.freeze({
  daemon: 'idle',
  mixnet: false,
  instanceToken: null,
  appId: null,
  resumed: false,
  reconnectAttempt: 0,
  lastError: null,
  sphinxGeometry: null,
  pigeonholeGeometry: null,
});
