/**
 * The public surface that runs anywhere — Node.js, Electron, browsers:
 * everything but the parts that need Node built-ins. The Node entry
 * (index.ts) and the browser entry (browser.ts) both re-export this one
 * list and add their platform's parts, so the two cannot drift apart. Add
 * new exports here unless they import a Node built-in (then to index.ts;
 * spec/browser/browser-build.spec.ts checks both).
 */

// The client
export { ThinClient } from './client/thin-client.js';
export type { ThinClientOptions } from './client/thin-client-options.js';
export type { ClientEvent, ClientEventOf, DaemonDisconnectedEvent, InvalidMessageEvent, UnknownMessageEvent } from './client/client-event.js';
export type { RequestOptions } from './client/request-engine.js';
export type { ConnectionState } from './core/connection-state.js';
export { exponentialBackoff, noReconnect } from './core/reconnect-policy.js';
export type { BackoffOptions, ReconnectPolicy } from './core/reconnect-policy.js';
export { silentLogger } from './core/logger.js';
export type { Logger } from './core/logger.js';
export type { RandomSource } from './core/random-source.js';
export { toHex, fromHex, bytesEqual } from './core/hex.js';
export { SecretBytes } from './wire/secret-bytes.js';
export type { SecretInput } from './wire/secret-bytes.js';

// Configuration
export { parseConfig, validateConfig } from './config/parse-config.js';
export type { DialConfig, TcpDial, ThinClientConfig, UnixDial, WsDial } from './config/dial-config.js';

// Transports (for custom socket factories)
export { connectWebSocket } from './transport/websocket-transport.js';
export type { ByteStream, ByteStreamFactory } from './transport/byte-stream.js';
export type { WebSocketCtor, WebSocketLike } from './transport/websocket-like.js';

// Messaging
export type { MessageSentEvent } from './client/messaging/send-message.js';
export type { RawPKIDocument } from './client/pki/get-pki-document-raw.js';

// Pigeonhole
export type {
  CourierDestination,
  CreateEnvelopesResult,
  DestinationPayload,
  EncryptResult,
  KeypairResult,
  StartResendingParams,
  StartResendingResult,
  TombstoneEnvelope,
  TombstoneRangeResult,
} from './client/pigeonhole/pigeonhole-types.js';
export { writeCapHash } from './client/pigeonhole/copy-command.js';
export type { WriteOptions } from './client/streams/write.js';
export type { BoxRead, ReadOptions } from './client/streams/read.js';
export type { WriteStreamOptions, WriteStreamProgress } from './client/streams/write-stream.js';
export type { ReadStreamOptions, StreamBox, StreamPosition, StreamReadPosition } from './client/streams/read-stream.js';
export type { StreamMessage, TailOptions } from './client/streams/tail.js';
export type { CopyDestination, CopySendOptions } from './client/streams/copy-send.js';
export { Outbox } from './client/offline/outbox.js';
export type { OutboxResult } from './client/offline/outbox.js';
export type { PreparedWrite } from './client/offline/prepared-write.js';
export { STREAM_HEADER_LENGTH, parseStreamHeader, streamBox, streamBoxCount } from './client/streams/stream-framing.js';

// Contact exchange (contact vouchers)
export type { VoucherInductResult, VoucherMintResult, VoucherOpenResult, VoucherStreamResult } from './client/contacts/voucher-types.js';
export type { AcceptedContact, Contact, ExchangeOptions, Invitation, SealedInviteAnswer } from './client/contacts/contact-exchange.js';
export type { ContactCard } from './client/contacts/contact-card.js';
export { INVITE_PREFIX, encodeInvite, parseInvite } from './client/contacts/invite-code.js';
export { decodePendingInvite, encodePendingInvite } from './client/contacts/pending-invite.js';
export type { PendingInvite } from './client/contacts/pending-invite.js';

// PKI documents and services
export { decodePKIDocument } from './pki/decode-pki-document.js';
export { decodeSignedPKIDocument } from './pki/decode-signed-pki-document.js';
export { findServices, getService } from './pki/find-services.js';
export { getAllCouriers, getDistinctCouriers, courierIdentityHash, COURIER_CAPABILITY } from './pki/couriers.js';
export { ServiceDescriptor } from './pki/service-descriptor.js';
export type { ServiceDestination } from './pki/service-descriptor.js';
export { blake2b256 } from './pki/blake2b256.js';
export type { MixDescriptor, PKIDocument, ReplicaDescriptor } from './pki/pki-document.js';
export type { CertificateSignature, SignedPKIDocument } from './pki/signed-pki-document.js';

// Errors
export { KatzenpostError } from './errors/katzenpost-error.js';
export { DaemonError } from './errors/daemon-error.js';
export type { DaemonErrorContext } from './errors/daemon-error.js';
export {
  ClientClosedError,
  ConfigError,
  ConnectionLostError,
  ContactCardFormatError,
  FrameTooLargeError,
  HandshakeError,
  InvalidArgumentError,
  InviteClosedError,
  MalformedMessageError,
  MessageSendError,
  NotConnectedError,
  OfflineError,
  ProtocolError,
  RequestTimeoutError,
  ServiceNotFoundError,
  TransportError,
} from './errors/local-errors.js';
export * from './errors/thin-client-errors.js';
export * from './errors/replica-errors.js';
export { copyCommandErrorFor, replicaErrorFor, startResendingErrorFor, thinClientErrorFor } from './errors/error-for-code.js';
export { isExpectedOutcome } from './errors/is-expected-outcome.js';

// The wire protocol (for tools and simulators)
export { WireSizes } from './wire/constants.js';
export { FrameDecoder } from './wire/frame-decoder.js';
export { encodeFrame, frameHeader } from './wire/frame-encoder.js';
export { decodeDaemonMessage, decodeRequest, encodeDaemonMessage, encodeRequest } from './wire/codec.js';
export type { UnknownVariant } from './wire/codec.js';
export { REQUEST_KINDS, RESPONSE_KINDS } from './wire/messages.js';
export type {
  DaemonMessage,
  DaemonMessageOf,
  DecodedRequest,
  DirectoryAuthority,
  OutgoingDaemonMessage,
  PigeonholeGeometry,
  Request,
  RequestBody,
  RequestKind,
  ResponseKind,
  SphinxGeometry,
} from './wire/messages.js';

// Persistent channels (the store interface and the in-memory store; the
// durable file and SQLite stores are Node-only, in index.ts).
export * from './channels/index.js';
