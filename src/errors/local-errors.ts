import { KatzenpostError } from './katzenpost-error.js';

/**
 * Errors raised by the SDK itself (not reported by the daemon). Each has a
 * stable string `code` so callers can switch on it without `instanceof`.
 */

/** `thinclient.toml` (or a config object) is invalid; names the file and key. */
export class ConfigError extends KatzenpostError {
  override readonly name = 'ConfigError';
  /** The offending key as a dotted path, e.g. `Dial.Tcp.Address`. */
  readonly key: string | undefined;
  /** The file, when the config came from a file. */
  readonly file: string | undefined;

  constructor(message: string, context: { key?: string; file?: string; cause?: unknown } = {}) {
    const where = [context.file, context.key].filter(Boolean).join(': ');
    super('ERR_CONFIG', where ? `${where}: ${message}` : message, { cause: context.cause });
    this.key = context.key;
    this.file = context.file;
  }
}

/** A socket could not be opened, or failed while open. */
export class TransportError extends KatzenpostError {
  override readonly name = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TRANSPORT', message, options);
  }
}

/**
 * A frame announced a body larger than the 40 MiB protocol cap (PROTOCOL.md §1.1).
 * When it is the very first frame of a connection, the peer is almost
 * certainly not kpclientd at all (an HTTP server answers "HTTP", i.e. a
 * length of 1 213 486 160): the message says so, quoting those four bytes
 * when they are printable.
 */
export class FrameTooLargeError extends KatzenpostError {
  override readonly name = 'FrameTooLargeError';
  constructor(
    readonly length: number,
    readonly limit: number,
    /** The length prefix, when it was the connection's first frame. */
    firstFrameHeader?: Uint8Array,
  ) {
    super('ERR_FRAME_TOO_LARGE', `frame length ${length} exceeds the limit of ${limit} bytes${firstFrameHeader ? notThinClient(firstFrameHeader) : ''}`);
  }
}

function notThinClient(header: Uint8Array): string {
  const text = String.fromCharCode(...header);
  const printable = /^[\x20-\x7e]{4}$/.test(text) ? ` (it began with "${text}")` : '';
  return `: this is not a kpclientd thin-client endpoint${printable} — check the address in the configuration`;
}

/**
 * The daemon sent bytes that are not a valid message: undecodable CBOR, a
 * value of the wrong type, more than one variant. The stream cannot be
 * trusted after this, so the connection is reset.
 */
export class ProtocolError extends KatzenpostError {
  override readonly name: string = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROTOCOL', message, options);
  }
}

/**
 * One daemon message decoded as CBOR but does not fit the client's schema
 * (a field of the wrong type or size, an out-of-range number). Unlike
 * framing and CBOR errors, this does not make the stream untrustworthy:
 * the connection stays up, the request the message answers (if its id
 * could be read) fails with this error, and the message is reported on
 * `events$` as an `invalid_message` event.
 */
export class MalformedMessageError extends ProtocolError {
  override readonly name: string = 'MalformedMessageError';
  /** The message's variant (wire key), e.g. `new_keypair_reply`. */
  readonly kind: string;
  /** Its `query_id`, when that field itself was readable (16 bytes): the request it answers. */
  readonly queryId: Uint8Array | null;
  /** Its `surbid` (legacy send events), when readable. */
  readonly surbId: Uint8Array | null;
  constructor(kind: string, message: string, ids: { queryId?: Uint8Array | null; surbId?: Uint8Array | null } = {}, options?: { cause?: unknown }) {
    super(`${kind}: ${message}`, options);
    this.kind = kind;
    this.queryId = ids.queryId ?? null;
    this.surbId = ids.surbId ?? null;
  }
}

/** The handshake (PROTOCOL.md §3.1) failed or did not finish in time. */
export class HandshakeError extends KatzenpostError {
  override readonly name = 'HandshakeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_HANDSHAKE', message, options);
  }
}

/** An argument was rejected before anything was sent to the daemon. */
export class InvalidArgumentError extends KatzenpostError {
  override readonly name = 'InvalidArgumentError';
  /** The parameter that was wrong. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('ERR_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** A request did not get its reply within its timeout. */
export class RequestTimeoutError extends KatzenpostError {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly request: string,
    readonly timeoutMs: number,
  ) {
    super('ERR_TIMEOUT', `${request}: no reply within ${timeoutMs} ms`);
  }
}

/**
 * The daemon is not connected to the mixnet ("offline mode"), and the
 * operation needs the network (PROTOCOL.md §9: sends are refused offline).
 */
export class OfflineError extends KatzenpostError {
  override readonly name = 'OfflineError';
  constructor(request: string) {
    super('ERR_OFFLINE', `${request}: the daemon is not connected to the mixnet (offline mode)`);
  }
}

/**
 * The client was closed by `close()` while the request was pending, or is
 * closed (`close()`, or the reconnect policy gave up) when it was made.
 */
export class ClientClosedError extends KatzenpostError {
  override readonly name = 'ClientClosedError';
  constructor(request?: string) {
    super('ERR_CLIENT_CLOSED', request ? `${request}: the client was closed` : 'the client is closed');
  }
}

/**
 * A request was made while the client is not connected and not
 * connecting: before the first `connect()`, or after `disconnect()`. It
 * fails at once instead of waiting for a `connect()` that may never come.
 */
export class NotConnectedError extends KatzenpostError {
  override readonly name = 'NotConnectedError';
  constructor(request?: string, options?: { cause?: unknown }) {
    const what = 'the client is not connected: call connect() first';
    super('ERR_NOT_CONNECTED', request ? `${request}: ${what}` : what, options);
  }
}

/**
 * The connection to the daemon was lost while the request was pending and
 * the request cannot be carried over to a new connection.
 */
export class ConnectionLostError extends KatzenpostError {
  override readonly name = 'ConnectionLostError';
  constructor(request: string, options?: { cause?: unknown }) {
    super('ERR_CONNECTION_LOST', `${request}: the connection to the daemon was lost`, options);
  }
}

/** A `message_sent_event` reported that the daemon could not send the message. */
export class MessageSendError extends KatzenpostError {
  override readonly name = 'MessageSendError';
  constructor(daemonMessage: string) {
    super('ERR_MESSAGE_SEND', `the daemon could not send the message: ${daemonMessage}`);
  }
}

/** A PKI document or service lookup failed (no document yet, unknown service). */
export class ServiceNotFoundError extends KatzenpostError {
  override readonly name = 'ServiceNotFoundError';
  constructor(message: string) {
    super('ERR_SERVICE_NOT_FOUND', message);
  }
}

/**
 * A contact invite can no longer be answered: its voucher stream was
 * closed — the joiner withdrew the invite, or finished the exchange with
 * whoever answered first (box 0 holds a tombstone), or another answer is
 * already in box 1.
 */
export class InviteClosedError extends KatzenpostError {
  override readonly name = 'InviteClosedError';
  constructor(detail: string) {
    super('ERR_INVITE_CLOSED', `the invite was withdrawn or already answered (${detail})`);
  }
}

/**
 * The answer to a contact invite opened, but is not a contact card: it was
 * written by a client that speaks another reply format over the same
 * voucher requests (use `voucherOpen` to read it yourself).
 */
export class ContactCardFormatError extends KatzenpostError {
  override readonly name = 'ContactCardFormatError';
  constructor(reason: string) {
    super('ERR_CONTACT_CARD_FORMAT', `the invite's answer is not a contact card: ${reason}`);
  }
}
