import { BehaviorSubject, Subject, asyncScheduler, filter, firstValueFrom, map, takeUntil, type Observable } from 'rxjs';
import type { ThinClientConfig } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import type { ConnectionState } from '../core/connection-state.js';
import { IdGenerator } from '../core/ids.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { cryptoRandom, pooledCryptoRandom, type RandomSource } from '../core/random-source.js';
import { exponentialBackoff, noReconnect } from '../core/reconnect-policy.js';
import { InvalidArgumentError, ServiceNotFoundError } from '../errors/local-errors.js';
import { checkCourierCount, getAllCouriers, getDistinctCouriers } from '../pki/couriers.js';
import { decodePKIDocument } from '../pki/decode-pki-document.js';
import { checkCapability, findServices, getService } from '../pki/find-services.js';
import type { PKIDocument } from '../pki/pki-document.js';
import type { ServiceDescriptor, ServiceDestination } from '../pki/service-descriptor.js';
import { connectByteStream } from '../transport/connect-byte-stream.js';
import { WireSizes } from '../wire/constants.js';
import type { LinkMessage } from '../core/link.js';
import { Session } from '../core/session.js';
import type { DirectoryAuthority, PigeonholeGeometry, SphinxGeometry } from '../wire/messages.js';
import type { ClientContext } from './client-context.js';
import type { ClientEvent } from './client-event.js';
import { EncryptionConnections } from './encryption-connections.js';
import { frameLink } from './frame-link.js';
import { getDirectoryAuthorities, getPKIDocumentRaw, type RawPKIDocument } from './pki/get-pki-document-raw.js';
import { blockingSendMessage, send } from './messaging/send.js';
import { sendMessage, sendMessageWithoutReply, type MessageSentEvent } from './messaging/send-message.js';
import { cancelResendingCopyCommand, startResendingCopyCommand } from './pigeonhole/copy-command.js';
import {
  createCourierEnvelopesFromMultiPayload,
  createCourierEnvelopesFromPayload,
  createCourierEnvelopesFromTombstoneRange,
} from './pigeonhole/copy-stream-envelopes.js';
import { encryptRead, encryptWrite } from './pigeonhole/encrypt.js';
import { getMessageBoxIndexCounter, nextMessageBoxIndex } from './pigeonhole/message-box-index.js';
import { newKeypair } from './pigeonhole/new-keypair.js';
import type {
  CourierDestination,
  CreateEnvelopesResult,
  DestinationPayload,
  EncryptResult,
  KeypairResult,
  StartResendingParams,
  StartResendingResult,
  TombstoneRangeResult,
} from './pigeonhole/pigeonhole-types.js';
import {
  cancelResendingEncryptedMessage,
  startResendingEncryptedMessage,
  startResendingEncryptedMessageNoRetry,
  startResendingEncryptedMessageReturnBoxExists,
} from './pigeonhole/start-resending.js';
import { tombstoneRange } from './pigeonhole/tombstone-range.js';
import { Outbox } from './offline/outbox.js';
import { prepareWrite, transmit, whenOnline, type PreparedWrite } from './offline/prepared-write.js';
import { RequestEngine, type RequestOptions } from './request-engine.js';
import { copySend, copyTombstones, type CopyDestination, type CopySendOptions } from './streams/copy-send.js';
import { read, type ReadOptions } from './streams/read.js';
import { readStream$, readStreamBoxes$, type ReadStreamOptions, type StreamBox } from './streams/read-stream.js';
import { tail$, type StreamMessage, type TailOptions } from './streams/tail.js';
import { write, type WriteOptions } from './streams/write.js';
import { writeStream$, type WriteStreamOptions, type WriteStreamProgress } from './streams/write-stream.js';
import type { ThinClientOptions } from './thin-client-options.js';
import { checkBytes } from './validate.js';
import {
  acceptInvite,
  awaitAcceptance,
  invite,
  sealInviteAnswer,
  withdrawInvite,
  writeInviteAnswer,
  type AcceptedContact,
  type Contact,
  type ExchangeOptions,
  type Invitation,
  type SealedInviteAnswer,
} from './contacts/contact-exchange.js';
import type { ContactCard } from './contacts/contact-card.js';
import type { PendingInvite } from './contacts/pending-invite.js';
import { voucherDeriveStream, voucherInduct, voucherMint, voucherOpen } from './contacts/voucher-requests.js';
import type { VoucherInductResult, VoucherMintResult, VoucherOpenResult, VoucherStreamResult } from './contacts/voucher-types.js';
import { checkClientOptions } from './validate-options.js';
import type { SecretInput } from '../wire/secret-bytes.js';

/**
 * A thin client of the Katzenpost client daemon (`kpclientd`), the RxJS
 * way: `events$` is the daemon socket as a hot stream of typed events, and
 * every request is a cold Observable that sends when subscribed, emits its
 * reply, and cancels when unsubscribed.
 *
 * The conventions (README, "Conventions"): a name ends in `$` when its
 * Observable emits many values (`events$`, `readStream$`, `tail$`,
 * `writeStream$`), not when it answers once (`send`, `read`, `write`);
 * each subscription to a request is one request (share one result with
 * `shareReplay`); a bad argument arrives as the Observable's error on
 * subscribe (a Promise's rejection, a synchronous method's throw), with
 * nothing sent.
 *
 * @example
 * const client = await ThinClient.connect(await loadConfig('thinclient.toml'));
 * client.events$.subscribe((event) => console.log(event.type));
 * const echo = client.getService('echo');
 * const reply = await firstValueFrom(client.send(new TextEncoder().encode('hi'), echo.toDestination()));
 * await client.close();
 *
 * @example
 * // To see the handshake events too, subscribe before connecting:
 * const client = new ThinClient(config);
 * client.events$.subscribe(log);
 * await client.connect();
 */
export class ThinClient {
  /**
   * Every message from the daemon, decoded and typed (replies included),
   * and the client's own events (`daemon_disconnected`, `unknown_message`).
   * Hot and multicast: subscribers see what arrives after they subscribe;
   * nothing is dropped between the socket and a subscriber. Completes on
   * `close()`.
   */
  readonly events$: Observable<ClientEvent>;
  /** The connection state; replays the current state to new subscribers. */
  readonly state$: Observable<ConnectionState>;
  /** The latest PKI document; replays it to new subscribers. */
  readonly pkiDocument$: Observable<PKIDocument>;
  /** 16 bytes naming our daemon session; pass to a later client's options to resume it. */
  readonly clientInstanceToken: Uint8Array;

  private readonly config: ThinClientConfig;
  private readonly eventsSubject = new Subject<ClientEvent>();
  private readonly documentSubject = new BehaviorSubject<PKIDocument | null>(null);
  /** Emits once, when `close()` begins: endless streams complete on it. */
  private readonly closing = new Subject<void>();
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  private readonly randomFraction: () => number;
  /** The one owner of the connection and of every request's state. */
  private readonly session: Session;
  private readonly requests: RequestEngine;
  private readonly context: ClientContext;
  /** Connections for the encryptions only (`options.encryptionConnections`), or null. */
  private readonly encryptions: EncryptionConnections | null;
  private closed = false;

  /**
   * Creates a client without connecting (no I/O). Call {@link connect}.
   * `config` is a `ThinClientConfig`, or the TOML-shaped object of
   * `thinclient.toml` (`{ Dial: { Tcp: { Address } } }`).
   */
  constructor(config: ThinClientConfig | Readonly<Record<string, unknown>>, options: ThinClientOptions = {}) {
    this.config = validateConfig(config);
    checkClientOptions(options);
    const random: RandomSource = options.random ?? cryptoRandom;
    // Ids are drawn on every request: from a pool (randomBytes, for seeds, is not).
    this.ids = new IdGenerator(options.random ?? pooledCryptoRandom());
    this.logger = options.logger ?? silentLogger;
    this.randomFraction = options.randomFraction ?? (() => fractionFrom(random));
    this.clientInstanceToken = new Uint8Array(
      options.clientInstanceToken
        ? checkBytes('clientInstanceToken', options.clientInstanceToken, { length: WireSizes.instanceToken })
        : this.ids.newInstanceToken(),
    );
    const scheduler = options.scheduler ?? asyncScheduler;
    const factory = options.socketFactory ?? connectByteStream;
    const sessionOptions = {
      dial: () => factory(this.config.dial).pipe(map((stream) => frameLink(stream))),
      scheduler,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 60_000,
      reconnect: options.reconnect === false ? noReconnect : (options.reconnect ?? exponentialBackoff()),
      random: this.randomFraction,
      logger: this.logger,
      ids: this.ids,
      maxMixnetInFlight: options.maxMixnetInFlight ?? 16,
    };
    this.session = new Session({
      ...sessionOptions,
      clientInstanceToken: this.clientInstanceToken,
      onMessage: (message) => this.onMessage(message),
      onDisconnected: (info) =>
        this.eventsSubject.next({ type: 'daemon_disconnected', isGraceful: info.graceful, error: info.error, willReconnect: info.willReconnect }),
    });
    this.requests = new RequestEngine(this.session, scheduler, options.requestTimeoutMs);
    const helpers = options.encryptionConnections ?? 0;
    // The helpers' own events (PKI documents, status) repeat the main connection's: dropped.
    const helperSession = () => new Session({ ...sessionOptions, clientInstanceToken: this.ids.newInstanceToken(), onMessage: () => {}, onDisconnected: () => {} });
    this.encryptions = helpers > 0 ? new EncryptionConnections(helpers, helperSession, scheduler, options.requestTimeoutMs, this.requests, () => this.session.state.daemon === 'idle', this.logger) : null;
    this.context = {
      requests: this.requests,
      encryptions: this.encryptions ?? this.requests,
      encryptionConnections: helpers,
      ids: this.ids,
      scheduler,
      state: () => this.session.state,
      state$: this.session.state$,
      randomBytes: random,
    };
    this.events$ = this.eventsSubject.asObservable();
    this.state$ = this.session.state$;
    this.pkiDocument$ = this.documentSubject.pipe(filter((doc): doc is PKIDocument => doc !== null));
  }

  /**
   * Creates a client and connects it: resolves once the handshake with the
   * daemon is complete (up to ~30 s when the daemon has no PKI document).
   * Rejects with a `TransportError` or `HandshakeError` if the first
   * connection fails; later losses are handled by reconnecting.
   *
   * @example
   * const client = await ThinClient.connect({ dial: { tcp: { address: 'localhost:64331' } } });
   */
  static async connect(config: ThinClientConfig | Readonly<Record<string, unknown>>, options?: ThinClientOptions): Promise<ThinClient> {
    const client = new ThinClient(config, options);
    await client.connect();
    return client;
  }

  /**
   * Connects, and resolves once connected. Idempotent: while connected it
   * resolves at once, during a handshake it shares that handshake, and
   * after `disconnect()` (or after the reconnect policy gave up) it
   * connects again, resuming the daemon session. Rejects with the
   * `TransportError` / `HandshakeError` of a first connection that fails
   * (it is not retried), and with `ClientClosedError` after `close()`.
   *
   * Requests made while it connects wait and go out after the handshake.
   * Before the first `connect()` a request fails at once with
   * `NotConnectedError`.
   */
  connect(): Promise<void> {
    const connected = firstValueFrom(this.session.connect(), { defaultValue: undefined });
    this.encryptions?.resume();
    return connected;
  }

  /**
   * Ends the session: sends `thin_close` (the daemon drops all our state,
   * including operations in flight), closes the socket, fails every pending
   * request with `ClientClosedError`, and completes the streams that never
   * end by themselves (`events$`, `state$`, `pkiDocument$`, `tail$`). The
   * client cannot be used afterwards. (While reconnecting there is no
   * socket to send `thin_close` on: the daemon then drops the session when
   * its grace period ends.)
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.next();
    this.closing.complete();
    this.session.close();
    this.encryptions?.close();
    this.eventsSubject.complete();
    this.documentSubject.complete();
  }

  /**
   * Pauses: closes the socket without `thin_close`, so the daemon keeps our
   * session (and its operations in flight) for its grace period (10 min by
   * default). Requests in flight are kept: the next `connect()` resumes
   * the session and completes each exactly once — re-issuing what the
   * daemon lost, cancelling what it would otherwise run twice. Their
   * timeouts keep running. New requests fail with `NotConnectedError`
   * until `connect()`. Resolves at once; the next `connect()` dials only
   * once the daemon has closed this connection (at most 30 s): kpclientd
   * v0.0.99, busy encrypting, would otherwise unregister the resumed
   * session when it closes this one late. A new client given this client's
   * `clientInstanceToken` can resume the session instead. Use `close()` to
   * end everything.
   */
  async disconnect(): Promise<void> {
    this.session.disconnect();
    this.encryptions?.disconnect();
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.session.state;
  }

  /** Whether the daemon is connected to the mixnet (false = offline mode, or no daemon). */
  isConnected(): boolean {
    return this.session.state.mixnet;
  }

  /**
   * Requests not over yet (diagnostics: 0 when idle), including abandoned
   * ones the client still owes the daemon a cancel for.
   */
  get pendingRequestCount(): number {
    return this.requests.pendingCount + (this.encryptions?.pendingCount ?? 0);
  }

  /** The Sphinx geometry from the handshake; throws before the first handshake. */
  sphinxGeometry(): SphinxGeometry {
    const geometry = this.session.state.sphinxGeometry;
    if (!geometry) throw new InvalidArgumentError('sphinxGeometry', 'not known before the first handshake');
    return geometry;
  }

  /**
   * The Pigeonhole geometry from the handshake (payload sizes; e.g.
   * `maxPlaintextPayloadLength` per box); throws before the first handshake.
   */
  pigeonholeGeometry(): PigeonholeGeometry {
    const geometry = this.session.state.pigeonholeGeometry;
    if (!geometry) throw new InvalidArgumentError('pigeonholeGeometry', 'not known before the first handshake');
    return geometry;
  }

  // ---- ids ---------------------------------------------------------------

  /** 16 random bytes for a message id. */
  newMessageID(): Uint8Array {
    return this.ids.newMessageID();
  }

  /** 16 random bytes for a SURB id. */
  newSURBID(): Uint8Array {
    return this.ids.newSURBID();
  }

  /** 16 random bytes for a query id. */
  newQueryID(): Uint8Array {
    return this.ids.newQueryID();
  }

  // ---- PKI and services --------------------------------------------------

  /** The latest PKI document, or null if the daemon has not had one yet. */
  pkiDocument(): PKIDocument | null {
    return this.documentSubject.value;
  }

  /**
   * The cert-wrapped signed PKI document for `epoch` (0 = the daemon's
   * current epoch), with every directory authority signature intact. Fails
   * with `ServiceUnavailableError` (code 10) when the daemon has no document
   * for that epoch — always, for an offline daemon.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const { payload, epoch } = await firstValueFrom(client.getPKIDocumentRaw());
   */
  getPKIDocumentRaw(epoch: number | bigint = 0, options?: RequestOptions): Observable<RawPKIDocument> {
    return getPKIDocumentRaw(this.context, epoch, options);
  }

  /**
   * The directory authorities the daemon is configured with, e.g. to map
   * certificate signatures (`identityKeyHash`) to names. Fails with
   * `ServiceUnavailableError` when none are configured.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const authorities = await firstValueFrom(client.getDirectoryAuthorities());
   */
  getDirectoryAuthorities(options?: RequestOptions): Observable<DirectoryAuthority[]> {
    return getDirectoryAuthorities(this.context, options);
  }

  /** All services advertising `capability` in the current PKI document. */
  getServices(capability: string): ServiceDescriptor[] {
    checkCapability(capability);
    return findServices(this.requireDocument(), capability);
  }

  /** One service advertising `serviceName`, chosen uniformly at random; throws `ServiceNotFoundError` if none. */
  getService(serviceName: string): ServiceDescriptor {
    checkCapability(serviceName);
    return getService(this.requireDocument(), serviceName, this.randomFraction);
  }

  /** Every courier in the current PKI document. */
  getAllCouriers(): ServiceDescriptor[] {
    return getAllCouriers(this.requireDocument());
  }

  /** `n` couriers on distinct nodes, chosen at random (to pin nested copy commands); throws if fewer exist. */
  getDistinctCouriers(n: number): ServiceDescriptor[] {
    checkCourierCount(n);
    return getDistinctCouriers(this.requireDocument(), n, this.randomFraction);
  }

  // ---- legacy messaging --------------------------------------------------

  /**
   * Sends `payload` to a service with a fresh SURB, emits the reply payload
   * and completes. Fails with `OfflineError` when the daemon is offline,
   * `MessageSendError` when the daemon could not send, and
   * `RequestTimeoutError` when no reply came before the daemon dropped its
   * SURB (or before `options.timeoutMs`).
   *
   * The reply payload is the whole decrypted SURB payload, which for the
   * echo service is the zero-padded request: compare prefixes.
   *
   * Cold: each subscription is one send, with a SURB of its own.
   *
   * @example
   * const echo = client.getService('echo');
   * const reply = await firstValueFrom(client.send(new TextEncoder().encode('ping'), echo.toDestination()));
   */
  send(payload: Uint8Array, destination: ServiceDestination, options?: RequestOptions): Observable<Uint8Array> {
    return send(this.context, payload, destination, options);
  }

  /**
   * Sends a message with a SURB under `surbId`, emits the daemon's
   * `message_sent_event` and completes. The service's reply arrives later as
   * a `message_reply_event` on `client.events$` with the same `surbId` (Go's
   * `SendMessage`). For a request/reply in one Observable use `send`.
   *
   * Cold: each subscription is one send (reusing `surbId` while one is
   * pending fails).
   *
   * @example
   * const surbId = client.newSURBID();
   * client.events$.pipe(filter((e) => e.type === 'message_reply_event' && equal(e.surbId, surbId))).subscribe(…);
   * client.sendMessage(surbId, payload, echo.toDestination()).subscribe();
   */
  sendMessage(surbId: Uint8Array, payload: Uint8Array, destination: ServiceDestination): Observable<MessageSentEvent> {
    return sendMessage(this.context, surbId, payload, destination);
  }

  /**
   * Sends a message to a mixnet service without a SURB: the service cannot
   * reply and the daemon reports nothing back (PROTOCOL.md §5). Completes once
   * the request is handed to the connection.
   *
   * Cold: each subscription is one send.
   *
   * @example
   * await lastValueFrom(client.sendMessageWithoutReply(payload, echo.toDestination()), { defaultValue: undefined });
   */
  sendMessageWithoutReply(payload: Uint8Array, destination: ServiceDestination): Observable<never> {
    return sendMessageWithoutReply(this.context, payload, destination);
  }

  /**
   * The Promise form of {@link send}, with a timeout (default 30 s, the
   * reference clients' recommendation). Each call is one send; a bad
   * argument rejects the Promise.
   *
   * @example
   * const reply = await client.blockingSendMessage(payload, echo.toDestination(), { timeoutMs: 10_000 });
   */
  blockingSendMessage(payload: Uint8Array, destination: ServiceDestination, options?: RequestOptions): Promise<Uint8Array> {
    return blockingSendMessage(this.context, payload, destination, options);
  }

  // ---- Pigeonhole primitives ---------------------------------------------

  /**
   * Creates a channel's capabilities from a 32-byte seed (deterministic: the
   * same seed gives the same channel — keep it secret like the write cap).
   * Local: the daemon answers at once, online or not.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const seed = crypto.getRandomValues(new Uint8Array(32));
   * const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seed));
   */
  newKeypair(seed: SecretInput, options?: RequestOptions): Observable<KeypairResult> {
    return newKeypair(this.context, seed, options);
  }

  /**
   * The index after `messageBoxIndex` (BACAP NextIndex: counter + 1, keys
   * advanced). A pure function of the index; local.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const second = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
   */
  nextMessageBoxIndex(messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<Uint8Array> {
    return nextMessageBoxIndex(this.context, messageBoxIndex, options);
  }

  /**
   * The BACAP counter (Idx64) of an index, as a `bigint` — it starts at a
   * random 64-bit value, so it routinely exceeds 2^53. Local.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const counter = await firstValueFrom(client.getMessageBoxIndexCounter(index)); // e.g. 14725812370184459871n
   */
  getMessageBoxIndexCounter(messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<bigint> {
    return getMessageBoxIndexCounter(this.context, messageBoxIndex, options);
  }

  /**
   * Prepares a read of box `messageBoxIndex`. Local, but needs the daemon's
   * PKI document (offline daemons answer `DaemonInternalError`, code 4).
   * Send the result with `startResendingEncryptedMessage({ readCap, messageBoxIndex, ...result })`.
   *
   * Cold: each subscription is one request (and a fresh envelope).
   *
   * @example
   * const envelope = await firstValueFrom(client.encryptRead(readCap, index));
   */
  encryptRead(readCap: Uint8Array, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<EncryptResult> {
    return encryptRead(this.context, readCap, messageBoxIndex, options);
  }

  /**
   * Prepares a write of `plaintext` (at most `MaxPlaintextPayloadLength`
   * bytes, checked here) to box `messageBoxIndex`. An empty plaintext makes a
   * tombstone. Local, needs the PKI document.
   *
   * Cold: each subscription is one request (and a fresh envelope).
   *
   * @example
   * const envelope = await firstValueFrom(client.encryptWrite(text, writeCap, index));
   * await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...envelope }));
   */
  encryptWrite(plaintext: Uint8Array, writeCap: SecretInput, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<EncryptResult> {
    return encryptWrite(this.context, plaintext, writeCap, messageBoxIndex, options);
  }

  /**
   * Sends an envelope from `encryptRead`/`encryptWrite` to a courier and
   * emits the outcome once the daemon's ARQ is done: the plaintext for a
   * read, `null` for a write. Mixnet-bound: while the daemon is offline it
   * waits (give it a `timeoutMs` if it must not wait forever).
   *
   * Unsubscribing before the outcome cancels the operation at the daemon
   * (`cancel_resending_encrypted_message`, sent once); the daemon's code-24
   * answer to that cancel is absorbed. A cancel by anyone else ends this
   * Observable with `StartResendingCancelledError`. A start still waiting
   * in the daemon's send queue (offline, or behind the Poisson schedule) is
   * not found by a cancel (DAEMON.md §3.6): the client then keeps its place
   * in its account of that queue and cancels it again once it has left it.
   * After a reconnect that resumed the session, an operation in flight is
   * cancelled and re-issued under a fresh query id, so the daemon never runs
   * two ARQs for it.
   *
   * Errors are typed: `BoxIDNotFoundError`, `BoxAlreadyExistsError`,
   * `TombstoneError` (see `isExpectedOutcome`), `BACAPDecryptionFailedError`,
   * courier errors … Codes 3 and 4 are ambiguous on this reply (replica
   * InvalidSignature/DatabaseFailure vs the daemon's InvalidRequest/
   * InternalError, PROTOCOL.md §7.3); they are reported as the replica errors
   * with the ambiguity spelled out in the message.
   *
   * Cold: each subscription is one request (subscribing twice to the same
   * envelope at once waits for the first: the daemon can cancel only its
   * newest ARQ of a hash).
   *
   * @example
   * const sent = await firstValueFrom(client.encryptWrite(text, writeCap, index));
   * await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sent }));
   * const read = await firstValueFrom(client.encryptRead(readCap, index));
   * const { plaintext } = await firstValueFrom(client.startResendingEncryptedMessage({ readCap, messageBoxIndex: index, ...read }));
   */
  startResendingEncryptedMessage(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessage(this.context, params, options);
  }

  /**
   * Like {@link startResendingEncryptedMessage}, but a write to a box that
   * already holds different content fails with `BoxAlreadyExistsError`
   * instead of counting as success (one more round trip).
   *
   * Cold: each subscription is one request.
   */
  startResendingEncryptedMessageReturnBoxExists(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessageReturnBoxExists(this.context, params, options);
  }

  /**
   * Like {@link startResendingEncryptedMessage}, but a read of a box that
   * has not been written fails at once with `BoxIDNotFoundError` instead of
   * waiting for it (use it to poll).
   *
   * Cold: each subscription is one request.
   */
  startResendingEncryptedMessageNoRetry(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessageNoRetry(this.context, params, options);
  }

  /**
   * Stops the daemon's ARQ for the operation with this envelope hash. The
   * operation's own Observable then fails with `StartResendingCancelledError`.
   * Usually you do not need this: unsubscribing cancels. Emits once when the
   * daemon confirms (it confirms unknown hashes too).
   *
   * Cold: each subscription is one request.
   *
   * @example
   * await firstValueFrom(client.cancelResendingEncryptedMessage(envelope.envelopeHash));
   */
  cancelResendingEncryptedMessage(envelopeHash: Uint8Array, options?: RequestOptions): Observable<void> {
    return cancelResendingEncryptedMessage(this.context, envelopeHash, options);
  }

  /**
   * Prepares tombstones (signed empty boxes) for `maxCount` consecutive boxes
   * from `start`; sends nothing. Dispatch each with
   * `startResendingEncryptedMessage({ writeCap, ...envelope })`.
   * Built from `encryptWrite` with an empty plaintext, one box after another.
   *
   * `maxCount` is at most 65 536 (what one courier copy command accepts);
   * `options.timeoutMs` bounds the whole call, not each box.
   *
   * Cold: each subscription prepares the range anew (one request per box).
   *
   * @example
   * const { envelopes, next } = await firstValueFrom(client.tombstoneRange(writeCap, index, 3));
   */
  tombstoneRange(writeCap: SecretInput, start: Uint8Array, maxCount: number, options?: RequestOptions): Observable<TombstoneRangeResult> {
    return tombstoneRange(this.context, writeCap, start, maxCount, options);
  }

  /**
   * Packs `payload` (≤ 10 MiB) for one destination channel starting at
   * `destStartIndex`. Stateless: every call flushes (no buffer).
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const { envelopes, nextDestIndex } = await firstValueFrom(
   *   client.createCourierEnvelopesFromPayload(payload, dest.writeCap, dest.index, true, true));
   */
  createCourierEnvelopesFromPayload(
    payload: Uint8Array,
    destWriteCap: SecretInput,
    destStartIndex: Uint8Array,
    isStart: boolean,
    isLast: boolean,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromPayload(this.context, payload, destWriteCap, destStartIndex, isStart, isLast, options);
  }

  /**
   * Packs writes to several channels into one copy stream (less padding than
   * one stream each). Pass the previous call's `buffer` to continue a stream,
   * and `isLast` on the final call to flush it.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const first = await firstValueFrom(client.createCourierEnvelopesFromMultiPayload([a, b], true, false));
   * const last = await firstValueFrom(client.createCourierEnvelopesFromMultiPayload([c], false, true, first.buffer));
   */
  createCourierEnvelopesFromMultiPayload(
    destinations: readonly DestinationPayload[],
    isStart: boolean,
    isLast: boolean,
    buffer?: Uint8Array | null,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromMultiPayload(this.context, destinations, isStart, isLast, buffer ?? null, options);
  }

  /**
   * Packs tombstones for `maxCount` boxes of a channel from `destStartIndex`
   * into a copy stream, so a courier deletes them atomically.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const { envelopes } = await firstValueFrom(client.createCourierEnvelopesFromTombstoneRange(writeCap, start, 10, true, true));
   */
  createCourierEnvelopesFromTombstoneRange(
    destWriteCap: SecretInput,
    destStartIndex: Uint8Array,
    maxCount: number,
    isStart: boolean,
    isLast: boolean,
    buffer?: Uint8Array | null,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromTombstoneRange(this.context, destWriteCap, destStartIndex, maxCount, isStart, isLast, buffer ?? null, options);
  }

  /**
   * Tells a courier to execute the copy stream written to the temporary
   * channel of `writeCap` (from its first index up to the element marked
   * final), atomically applying every envelope to its destination. Emits
   * once when the courier reports success. Mixnet-bound; polling takes ~5 s
   * per round at the daemon.
   *
   * `courier` pins the command to one courier (from `getDistinctCouriers`),
   * which nested copies need so that no one courier sees both layers.
   * Unsubscribing cancels (`cancel_resending_copy_command`).
   *
   * Fails with `CopyCommandFailedError` (`replicaErrorCode`,
   * `failedEnvelopeIndex`; boxes written before the failure stay written).
   *
   * Cold: each subscription is one request.
   *
   * @example
   * await firstValueFrom(client.startResendingCopyCommand(temp.writeCap));
   */
  startResendingCopyCommand(writeCap: SecretInput, courier?: CourierDestination, options?: RequestOptions): Observable<void> {
    return startResendingCopyCommand(this.context, writeCap, courier, options);
  }

  /**
   * Stops the daemon's ARQ for the copy command whose write cap hashes to
   * `writeCapHash` (see {@link "katzenpost-rx"!writeCapHash}). Usually unsubscribing is enough.
   *
   * Cold: each subscription is one request.
   */
  cancelResendingCopyCommand(writeCapHash: Uint8Array, options?: RequestOptions): Observable<void> {
    return cancelResendingCopyCommand(this.context, writeCapHash, options);
  }

  // ---- contact vouchers (local crypto) -------------------------------------

  /**
   * Mints a contact voucher from your channel's write cap (local crypto;
   * works offline). Publish `voucherPayload` in box 0 of the voucher stream,
   * hand `voucher` to the inductor out of band, keep `voucherSecretKey` to
   * open the answer. Each call mints a different voucher (a fresh reply
   * keypair). The two-call flow {@link invite} does all of this.
   *
   * Cold: each subscription is one request, and mints another voucher.
   *
   * @example
   * const minted = await firstValueFrom(client.voucherMint(channel.writeCap, 'Alice'));
   */
  voucherMint(messageWriteCap: SecretInput, displayName: string, options?: RequestOptions): Observable<VoucherMintResult> {
    return voucherMint(this.context, messageWriteCap, displayName, options);
  }

  /**
   * Verifies the joiner's voucher payload (from box 0) and seals `whoReply`
   * to them (local crypto). Fails with `VoucherHashMismatchError` (28, the
   * payload does not hash to the voucher), `VoucherSignatureInvalidError`
   * (29), or `InvalidRequestError` (3, not a voucher payload).
   *
   * Cold: each subscription is one request (a fresh seal each time).
   *
   * @example
   * const inducted = await firstValueFrom(client.voucherInduct(voucher, payload, myReply));
   */
  voucherInduct(voucher: SecretInput, voucherPayload: Uint8Array, whoReply: Uint8Array, options?: RequestOptions): Observable<VoucherInductResult> {
    return voucherInduct(this.context, voucher, voucherPayload, whoReply, options);
  }

  /**
   * Opens the inductor's sealed reply (from box 1) with your voucher secret
   * key and mutates your channel's write cap by its salt (local crypto).
   * Fails with `VoucherSealOpenFailedError` (30) for the wrong key or a
   * damaged reply.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const opened = await firstValueFrom(client.voucherOpen(minted.voucherSecretKey, sealed, channel.writeCap));
   */
  voucherOpen(voucherSecretKey: SecretInput, sealedReply: Uint8Array, messageWriteCap: SecretInput, options?: RequestOptions): Observable<VoucherOpenResult> {
    return voucherOpen(this.context, voucherSecretKey, sealedReply, messageWriteCap, options);
  }

  /**
   * The voucher stream's caps, derived from the voucher alone (local
   * crypto); box 0 is the read cap's own index.
   *
   * Cold: each subscription is one request.
   *
   * @example
   * const { voucherReadCap } = await firstValueFrom(client.voucherDeriveStream(voucher));
   */
  voucherDeriveStream(voucher: SecretInput, options?: RequestOptions): Observable<VoucherStreamResult> {
    return voucherDeriveStream(this.context, voucher, options);
  }

  // ---- contact exchange: two calls, built on the voucher requests ----------

  /**
   * Joiner: invites someone to exchange contacts. Mints a voucher for your
   * channel's write cap (use a fresh channel per invite), publishes your
   * introduction in box 0, and emits the `kprxinvite1:` string to hand over
   * out of band, the pending invite to persist (`encodePendingInvite`), and
   * `accepted`, which emits the contact once the answer is there.
   *
   * Cold: each subscription is a new invite (a new voucher, published).
   *
   * @example
   * const { invite, pending, accepted } = await firstValueFrom(client.invite(channel.writeCap, 'Alice'));
   * show(invite); // 'kprxinvite1:…' — a link, a QR code
   * const bob = await firstValueFrom(accepted); // bob.readCap / bob.readIndex: read Bob; bob.writeCap / bob.writeIndex: write to him
   */
  invite(myWriteCap: SecretInput, displayName: string, options?: RequestOptions): Observable<Invitation> {
    return invite(this.context, myWriteCap, displayName, options);
  }

  /**
   * Joiner: the answer to a pending invite — polls box 1 (no-retry reads,
   * `initialDelayMs` doubling to `maxDelayMs`), opens it, spends the invite
   * (tombstones box 0) and emits the contact. Call it again after a
   * restart with the persisted pending invite; unsubscribing stops the
   * polling. `timeoutMs` bounds the whole wait.
   *
   * Cold: each subscription polls anew.
   *
   * @example
   * const bob = await firstValueFrom(client.awaitAcceptance(decodePendingInvite(saved)));
   */
  awaitAcceptance(pending: PendingInvite, options?: ExchangeOptions): Observable<AcceptedContact> {
    return awaitAcceptance(this.context, pending, options);
  }

  /**
   * Inductor: answers an invite string with your contact card (your name
   * and the read cap of the channel you will write to them on). Reads and
   * verifies the joiner's introduction, writes your sealed answer into box
   * 1, and emits the joiner as a contact. `InviteClosedError` when it was
   * withdrawn or answered first by someone else; `VoucherHashMismatchError`
   * / `VoucherSignatureInvalidError` for a forged introduction. Not
   * crash-safe by itself (a second call seals a new answer, which box 1
   * refuses): {@link sealInviteAnswer} and {@link writeInviteAnswer} are its
   * two halves, and `ChannelManager.acceptInvite` stores the answer between them.
   *
   * Cold: each subscription answers anew (a second answer is refused by box 1).
   *
   * @example
   * const alice = await firstValueFrom(client.acceptInvite(pasted, { displayName: 'Bob', readCap: toAlice.readCap }));
   */
  acceptInvite(invite: string, myReply: ContactCard, options?: ExchangeOptions): Observable<Contact> {
    return acceptInvite(this.context, invite, myReply, options);
  }

  /**
   * Inductor: `acceptInvite` up to the point of writing — reads and
   * verifies the joiner's introduction in box 0 and seals your card to
   * them. Writes nothing. Store `sealedReply` durably, then write it with
   * {@link writeInviteAnswer}: after a crash, the same bytes can be written
   * again (a fresh seal could not: box 1 keeps the first answer).
   *
   * Cold: each subscription reads box 0 and seals anew.
   *
   * @example
   * const { sealedReply, joiner } = await firstValueFrom(client.sealInviteAnswer(pasted, myCard));
   */
  sealInviteAnswer(invite: string, myReply: ContactCard, options?: ExchangeOptions): Observable<SealedInviteAnswer> {
    return sealInviteAnswer(this.context, invite, myReply, options);
  }

  /**
   * Inductor: writes a sealed answer (from {@link sealInviteAnswer}) into box
   * 1. The same bytes again succeed; another answer there fails with
   * `InviteClosedError`. Emits once.
   *
   * Cold: each subscription is one write.
   *
   * @example
   * await firstValueFrom(client.writeInviteAnswer(pasted, stored.sealedReply));
   */
  writeInviteAnswer(invite: string, sealedReply: Uint8Array, options?: RequestOptions): Observable<void> {
    return writeInviteAnswer(this.context, invite, sealedReply, options);
  }

  /**
   * Joiner: withdraws a pending invite — tombstones its boxes, so the
   * invite string can no longer be answered. Emits once when both are
   * written.
   *
   * Cold: each subscription writes the two tombstones.
   *
   * @example
   * await firstValueFrom(client.withdrawInvite(pending));
   */
  withdrawInvite(pending: PendingInvite, options?: RequestOptions): Observable<void> {
    return withdrawInvite(this.context, pending, options);
  }

  // ---- high level: built only from the primitives -------------------------

  /**
   * Writes one box and emits the index after it (persist it before you
   * report the message as sent). Built from `encryptWrite` and
   * `startResendingEncryptedMessage`; unsubscribing cancels.
   *
   * Cold: each subscription is one write (an `encryptWrite` and its ARQ).
   *
   * @example
   * index = await firstValueFrom(client.write(writeCap, index, new TextEncoder().encode('hello')));
   */
  write(writeCap: SecretInput, index: Uint8Array, plaintext: Uint8Array, options?: WriteOptions): Observable<Uint8Array> {
    return write(this.context, writeCap, index, plaintext, options);
  }

  /**
   * Reads one box and emits its plaintext. Built from `encryptRead` and
   * `startResendingEncryptedMessage`; unsubscribing cancels.
   *
   * Cold: each subscription is one read (an `encryptRead` and its ARQ).
   *
   * @example
   * const text = new TextDecoder().decode(await firstValueFrom(client.read(readCap, index)));
   */
  read(readCap: Uint8Array, index: Uint8Array, options?: ReadOptions): Observable<Uint8Array> {
    return read(this.context, readCap, index, options);
  }

  /**
   * Writes a payload of any size (up to 4 GiB) across consecutive boxes from
   * `index`, framed with a 4-byte big-endian length so a reader knows where
   * it ends (`readStream$`). Up to `window` boxes are in flight at once, each
   * an independent single-box write (the daemon's old stream API was removed
   * because one courier could link the boxes of a transfer; this one spreads
   * them over randomly chosen couriers). Emits progress after every box and
   * completes when all are written; unsubscribing cancels those in flight.
   * An interrupted write continues from its last progress's `resumeFrom`
   * (`options.resumeFrom`): boxes are rewritten with the same content, which
   * the replicas accept. `options.timeoutMs` bounds each box's write.
   *
   * Cold: each subscription writes the whole stream.
   *
   * @example
   * client.writeStream$(writeCap, index, fileBytes).subscribe((p) => bar.update(p.boxesDone / p.totalBoxes));
   */
  writeStream$(writeCap: SecretInput, index: Uint8Array, payload: Uint8Array, options?: WriteStreamOptions): Observable<WriteStreamProgress> {
    return writeStream$(this.context, writeCap, index, payload, options);
  }

  /**
   * The old name of {@link writeStream$}, which emits many progress values
   * and so carries the `$` of every multi-value stream (README,
   * "Conventions").
   *
   * @deprecated Use {@link writeStream$}; this alias goes in 0.3.
   */
  writeStream(writeCap: SecretInput, index: Uint8Array, payload: Uint8Array, options?: WriteStreamOptions): Observable<WriteStreamProgress> {
    return this.writeStream$(writeCap, index, payload, options);
  }

  /**
   * Reads a framed payload (see {@link writeStream$}) as an Observable of plaintext
   * chunks in order — one per box — and completes when the framed length
   * has arrived. The first box is read alone (its header says how many boxes
   * follow); the rest with at most `window` reads in flight, emitted in order.
   * Unsubscribing cancels every read in flight. A box not written yet is
   * waited for by the daemon (with `options.noRetry` the stream fails with
   * `BoxIDNotFoundError` instead); `options.timeoutMs` bounds each box's
   * read, so give it to bound the wait.
   *
   * The box size is taken from the first box, so streams written with the
   * copy path (boxes of `MaxPlaintextPayloadLength − 4` bytes) read back too.
   *
   * Cold: each subscription reads the stream anew.
   *
   * @example
   * client.readStream$(readCap, index).pipe(scan((bytes, chunk) => bytes + chunk.length, 0)).subscribe(setProgress);
   */
  readStream$(readCap: Uint8Array, index: Uint8Array, options?: ReadStreamOptions): Observable<Uint8Array> {
    return readStream$(this.context, readCap, index, options);
  }

  /**
   * {@link readStream$} box by box: each box's data with its number and
   * the position to continue from, so that an interrupted read of a long
   * stream can resume where it stopped (`options.resumeFrom`) instead of at
   * its first box.
   *
   * Cold: each subscription reads the stream anew.
   *
   * @example
   * client.readStreamBoxes$(readCap, index, { resumeFrom: saved }).pipe(concatMap(async (b) => { await append(b.data); await save(b.resumeFrom); }));
   */
  readStreamBoxes$(readCap: Uint8Array, index: Uint8Array, options?: ReadStreamOptions): Observable<StreamBox> {
    return readStreamBoxes$(this.context, readCap, index, options);
  }

  /**
   * Follows a stream from `index` forever, emitting each box as it is
   * written. Boxes already there are read back to back; then it polls with
   * no-retry reads — one read, and if the box is not there yet a wait of
   * `initialDelayMs`, doubling to `maxDelayMs`, reset by every new box —
   * instead of the daemon's endless retry, so an idle follower costs the
   * replicas one read per `maxDelayMs`. Each poll encrypts a fresh envelope:
   * couriers cache answers per envelope for minutes. Unsubscribing cancels
   * the read in flight; `close()` completes it. `options.timeoutMs` bounds
   * each read (a read that times out fails the stream).
   *
   * Why polling and not the daemon's retry: it costs the daemon less (an
   * idle minute measured on the real network, bench F4: 6.5 s of kpclientd
   * CPU polling at the default 30 s against 16.8 s for one daemon-side ARQ
   * read, which resends and decrypts a reply on every send slot), and the
   * daemon's retry resends the same envelope, which a v0.0.99 courier
   * re-dispatches to the replicas at most 5 times before answering from its
   * cache for up to 5 minutes (its maxRedispatchAttempts and DedupCacheTTL):
   * a box written after that would be seen minutes late.
   *
   * Cold: each subscription follows the channel with reads of its own.
   *
   * @example
   * client.tail$(readCap, index).pipe(scan((list, m) => [...list, decode(m.plaintext)], [])).subscribe(render);
   */
  tail$(readCap: Uint8Array, index: Uint8Array, options?: TailOptions): Observable<StreamMessage> {
    // Endless by design: `close()` completes it rather than failing it.
    return tail$(this.context, readCap, index, options).pipe(takeUntil(this.closing));
  }

  /**
   * Writes payloads to one or more channels atomically: either every
   * destination gets its boxes or — short of a courier failure mid-way,
   * reported as `CopyCommandFailedError` — none does, and the boxes go out
   * through one courier rather than as separate, linkable writes. Emits the
   * next index of each destination, in order.
   *
   * Destination boxes hold `MaxPlaintextPayloadLength − 4` bytes each on this
   * path (the copy stream's chunk size). Payloads above the daemon's 10 MiB
   * per-call cap are packed over several calls, passing the residual buffer
   * along, and cut at box boundaries so the destination stays contiguous.
   *
   * Cold: each subscription is one atomic copy (a temporary channel and a
   * copy command of its own).
   *
   * @example
   * const [aliceNext, bobNext] = await firstValueFrom(client.copySend([
   *   { writeCap: alice.writeCap, index: alice.index, payload: a },
   *   { writeCap: bob.writeCap, index: bob.index, payload: b },
   * ]));
   */
  copySend(destinations: readonly CopyDestination[], options?: CopySendOptions): Observable<Uint8Array[]> {
    return copySend(this.context, destinations, options);
  }

  /**
   * Tombstones `count` boxes of a channel from `start` atomically, through a
   * courier. Emits the index after the range.
   *
   * Cold: each subscription is one atomic copy.
   *
   * @example
   * await firstValueFrom(client.copyTombstones(writeCap, start, 10));
   */
  copyTombstones(writeCap: SecretInput, start: Uint8Array, count: number, options?: CopySendOptions): Observable<Uint8Array> {
    return copyTombstones(this.context, writeCap, start, count, options);
  }

  // ---- offline preparation ------------------------------------------------

  /**
   * Encrypts a write now — local cryptography, which works while the daemon
   * is offline as long as it has a PKI document — to transmit later with
   * {@link transmit}. The same prepared write can be transmitted again after
   * a crash: it is the same box with the same content, so the replica treats
   * the repeat as success.
   *
   * Cold: each subscription is one request (and a fresh envelope).
   *
   * @example
   * const prepared = await firstValueFrom(client.prepareWrite(writeCap, index, text));
   * save(prepared); // your storage
   * index = prepared.nextMessageBoxIndex;
   */
  prepareWrite(writeCap: SecretInput, index: Uint8Array, plaintext: Uint8Array, options?: RequestOptions): Observable<PreparedWrite> {
    return prepareWrite(this.context, writeCap, index, plaintext, options);
  }

  /**
   * Waits until the daemon is connected to the mixnet, then sends a prepared
   * write; emits the index after its box. While offline nothing is sent (so
   * nothing piles up in the daemon's queue); `timeoutMs` bounds the whole
   * wait. Unsubscribing before it is sent sends nothing; after, it cancels.
   *
   * Cold: each subscription transmits the prepared write once more (a repeat
   * is harmless: same box, same content).
   *
   * @example
   * await firstValueFrom(client.transmit(prepared));
   */
  transmit(prepared: PreparedWrite, options?: RequestOptions): Observable<Uint8Array> {
    return transmit(this.context, prepared, options);
  }

  /**
   * Emits once, then completes, as soon as the client is connected and the
   * daemon online (at once if it is).
   *
   * Cold: each subscription watches {@link state$}; nothing is sent.
   */
  whenOnline(): Observable<void> {
    return whenOnline(this.context);
  }

  /** A new {@link Outbox} on this client: prepared writes sent in order whenever the daemon is online. */
  createOutbox(concurrency?: number): Outbox {
    return new Outbox(this.context, concurrency);
  }

  // ---- internals ---------------------------------------------------------

  /** A summary without internals: pending requests hold encoded write caps and plaintexts. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ThinClient { daemon: '${this.state.daemon}', mixnet: ${this.state.mixnet}, pendingRequests: ${this.pendingRequestCount} }`;
  }

  /** The same summary for `JSON.stringify`. */
  toJSON(): Record<string, unknown> {
    return { daemon: this.state.daemon, mixnet: this.state.mixnet, pendingRequests: this.pendingRequestCount };
  }

  private onMessage(message: LinkMessage): void {
    if (message.type === 'new_pki_document_event' && message.payload && message.payload.length > 0) {
      try {
        this.documentSubject.next(decodePKIDocument(message.payload));
      } catch (error) {
        this.logger.warn('could not decode the PKI document', { error: String(error) });
      }
    }
    if (message.type === 'unknown') this.eventsSubject.next({ type: 'unknown_message', keys: message.keys });
    else if (message.type === 'invalid') {
      this.logger.warn('a malformed message from the daemon', { error: message.error.message });
      this.eventsSubject.next({ type: 'invalid_message', error: message.error });
    } else this.eventsSubject.next(message);
  }

  private requireDocument(): PKIDocument {
    const doc = this.documentSubject.value;
    if (!doc) throw new ServiceNotFoundError('no PKI document yet (the daemon has not fetched one: offline?)');
    return doc;
  }
}

/** A uniform [0, 1) number from 53 random bits. */
function fractionFrom(random: RandomSource): number {
  const bytes = random(7);
  let value = 0;
  for (let i = 0; i < 7; i++) value = value * 256 + bytes[i]!;
  return (value % 2 ** 53) / 2 ** 53;
}
