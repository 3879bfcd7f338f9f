import type { MalformedMessageError } from '../errors/local-errors.js';
import type { DaemonMessage } from '../wire/messages.js';

/**
 * Emitted by the client itself (not the daemon) when the connection to the
 * daemon is lost — after a `shutdown_event` (`isGraceful`) or not.
 */
export interface DaemonDisconnectedEvent {
  readonly type: 'daemon_disconnected';
  /** True when the daemon announced its shutdown (`shutdown_event`) first. */
  readonly isGraceful: boolean;
  /** Why the connection ended, if not a clean close by the daemon. */
  readonly error: Error | null;
  /**
   * Whether the client is reconnecting. False: it has given up (pending
   * requests failed with `ConnectionLostError`; `connect()` starts over).
   * A give-up after failed re-dials is announced by a second event.
   */
  readonly willReconnect: boolean;
}

/** A message with a variant this SDK does not know (from a newer daemon): passed on, not fatal. */
export interface UnknownMessageEvent {
  readonly type: 'unknown_message';
  /** Its non-null top-level keys. */
  readonly keys: readonly string[];
}

/**
 * A message from the daemon that is valid CBOR but does not fit its
 * variant's schema. The connection stays up; the request it answers, if
 * its id could be read, fails with the same error.
 */
export interface InvalidMessageEvent {
  readonly type: 'invalid_message';
  /** Names the variant (`error.kind`) and the field that broke. */
  readonly error: MalformedMessageError;
}

/**
 * Everything `client.events$` emits: every message from the daemon, typed
 * and discriminated by `type` (replies included, as Go's event sink does),
 * plus the client's own events.
 *
 * @example
 * client.events$.pipe(filter((e) => e.type === 'connection_status_event')).subscribe((e) => show(e.isConnected));
 */
export type ClientEvent = DaemonMessage | DaemonDisconnectedEvent | UnknownMessageEvent | InvalidMessageEvent;

/** The events of one `type`. */
export type ClientEventOf<T extends ClientEvent['type']> = Extract<ClientEvent, { readonly type: T }>;
