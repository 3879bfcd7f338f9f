import { BehaviorSubject, Subject, asyncScheduler, filter, firstValueFrom, map, type Observable, type Subscription } from 'rxjs';
import type { ThinClientConfig } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import { ConnectionController } from '../core/connection-controller.js';
import { initialConnectionState, type ConnectionState } from '../core/connection-state.js';
import { IdGenerator } from '../core/ids.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { cryptoRandom, type RandomSource } from '../core/random-source.js';
import { exponentialBackoff, noReconnect } from '../core/reconnect-policy.js';
import { ClientClosedError, InvalidArgumentError, ServiceNotFoundError } from '../errors/local-errors.js';
import { getAllCouriers, getDistinctCouriers } from '../pki/couriers.js';
import { decodePKIDocument } from '../pki/decode-pki-document.js';
import { findServices, getService } from '../pki/find-services.js';
import type { PKIDocument } from '../pki/pki-document.js';
import type { ServiceDescriptor, ServiceDestination } from '../pki/service-descriptor.js';
import { connectByteStream } from '../transport/connect-byte-stream.js';
import { WireSizes } from '../wire/constants.js';
import type { UnknownVariant } from '../wire/codec.js';
import type { DaemonMessage, DirectoryAuthority, PigeonholeGeometry, SphinxGeometry } from '../wire/messages.js';
import type { ClientContext } from './client-context.js';
import type { ClientEvent } from './client-event.js';
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
import { readStream$, type ReadStreamOptions } from './streams/read-stream.js';
import { tail$, type StreamMessage, type TailOptions } from './streams/tail.js';
import { write, type WriteOptions } from './streams/write.js';
import { writeStream, type WriteStreamOptions, type WriteStreamProgress } from './streams/write-stream.js';
import type { ThinClientOptions } from './thin-client-options.js';
import { checkBytes } from './validate.js';

/**
 * A thin client of the Katzenpost client daemon (`kpclientd`), the RxJS
 * way: `events$` is the daemon socket as a hot stream of typed events, and
 * every request is a cold Observable that sends when subscribed, emits its
 * reply, and cancels when unsubscribed.
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
  private readonly options: ThinClientOptions;
  private readonly eventsSubject = new Subject<ClientEvent>();
  private readonly stateSubject = new BehaviorSubject<ConnectionState>(initialConnectionState);
  private readonly documentSubject = new BehaviorSubject<PKIDocument | null>(null);
  private readonly ids: IdGenerator;
  private readonly logger: Logger;
  private readonly randomFraction: () => number;
  private readonly requests: RequestEngine;
  private readonly context: ClientContext;
  private controller: ConnectionController | null = null;
  private controllerState: Subscription | null = null;
  private closed = false;

  /**
   * Creates a client without connecting (no I/O). Call {@link connect}.
   * `config` is a `ThinClientConfig`, or the TOML-shaped object of
   * `thinclient.toml` (`{ Dial: { Tcp: { Address } } }`).
   */
  constructor(config: ThinClientConfig | Readonly<Record<string, unknown>>, options: ThinClientOptions = {}) {
    this.config = validateConfig(config);
    this.options = options;
    const random: RandomSource = options.random ?? cryptoRandom;
    this.ids = new IdGenerator(random);
    this.logger = options.logger ?? silentLogger;
    this.randomFraction = options.randomFraction ?? (() => fractionFrom(random));
    this.clientInstanceToken = new Uint8Array(
      options.clientInstanceToken
        ? checkBytes('clientInstanceToken', options.clientInstanceToken, { length: WireSizes.instanceToken })
        : this.ids.newInstanceToken(),
    );
    const scheduler = options.scheduler ?? asyncScheduler;
    this.requests = new RequestEngine(
      () => this.controller,
      this.ids,
      scheduler,
      this.logger,
      options.requestTimeoutMs,
      options.maxMixnetInFlight,
    );
    this.context = {
      requests: this.requests,
      ids: this.ids,
      scheduler,
      logger: this.logger,
      randomFraction: this.randomFraction,
      state: () => this.stateSubject.value,
      state$: this.stateSubject.asObservable(),
      randomBytes: random,
      pkiDocument: () => this.documentSubject.value,
    };
    this.events$ = this.eventsSubject.asObservable();
    this.state$ = this.stateSubject.asObservable();
    this.pkiDocument$ = this.documentSubject.pipe(filter((doc): doc is PKIDocument => doc !== null));
    this.createController();
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
   * Connects (or, after `disconnect()`, reconnects and resumes the daemon
   * session). Requests made before it resolves wait and go out after the
   * handshake.
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const controller = this.controller ?? this.createController();
    return firstValueFrom(controller.connect(), { defaultValue: undefined }).catch((error: unknown) => {
      this.controller = null;
      this.requests.failAll();
      throw error;
    });
  }

  /**
   * Ends the session: sends `thin_close` (the daemon drops all our state,
   * including operations in flight), closes the socket, fails every pending
   * request with `ClientClosedError`, and completes the streams. The client
   * cannot be used afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller?.close(true);
    this.requests.close();
    this.controllerState?.unsubscribe();
    this.stateSubject.next({ ...this.stateSubject.value, daemon: 'closed', mixnet: false });
    this.eventsSubject.complete();
    this.stateSubject.complete();
    this.documentSubject.complete();
  }

  /**
   * Closes the socket without `thin_close`: the daemon keeps our session
   * (and its operations in flight) for its grace period (10 min by
   * default). `connect()` on this client, or a new client given this
   * client's `clientInstanceToken`, resumes it. Pending requests fail with
   * `ClientClosedError`.
   */
  async disconnect(): Promise<void> {
    this.controller?.close(false);
    this.controller = null;
    this.requests.failAll();
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.stateSubject.value;
  }

  /** Whether the daemon is connected to the mixnet (false = offline mode, or no daemon). */
  isConnected(): boolean {
    return this.stateSubject.value.mixnet;
  }

  /** Requests waiting for replies (diagnostics: 0 when idle). */
  get pendingRequestCount(): number {
    return this.requests.pendingCount;
  }

  /** The Sphinx geometry from the handshake; throws before the first handshake. */
  sphinxGeometry(): SphinxGeometry {
    const geometry = this.stateSubject.value.sphinxGeometry;
    if (!geometry) throw new InvalidArgumentError('sphinxGeometry', 'not known before the first handshake');
    return geometry;
  }

  /**
   * The Pigeonhole geometry from the handshake (payload sizes; e.g.
   * `maxPlaintextPayloadLength` per box); throws before the first handshake.
   */
  pigeonholeGeometry(): PigeonholeGeometry {
    const geometry = this.stateSubject.value.pigeonholeGeometry;
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

  /** {@inheritDoc getPKIDocumentRaw} */
  getPKIDocumentRaw(epoch: number | bigint = 0, options?: RequestOptions): Observable<RawPKIDocument> {
    return getPKIDocumentRaw(this.context, epoch, options);
  }

  /** {@inheritDoc getDirectoryAuthorities} */
  getDirectoryAuthorities(options?: RequestOptions): Observable<DirectoryAuthority[]> {
    return getDirectoryAuthorities(this.context, options);
  }

  /** All services advertising `capability` in the current PKI document. */
  getServices(capability: string): ServiceDescriptor[] {
    return findServices(this.requireDocument(), capability);
  }

  /** One service advertising `serviceName`, chosen uniformly at random; throws `ServiceNotFoundError` if none. */
  getService(serviceName: string): ServiceDescriptor {
    return getService(this.requireDocument(), serviceName, this.randomFraction);
  }

  /** Every courier in the current PKI document. */
  getAllCouriers(): ServiceDescriptor[] {
    return getAllCouriers(this.requireDocument());
  }

  /** `n` couriers on distinct nodes, chosen at random (to pin nested copy commands); throws if fewer exist. */
  getDistinctCouriers(n: number): ServiceDescriptor[] {
    return getDistinctCouriers(this.requireDocument(), n, this.randomFraction);
  }

  // ---- legacy messaging --------------------------------------------------

  /** {@inheritDoc send} */
  send(payload: Uint8Array, destination: ServiceDestination, options?: RequestOptions): Observable<Uint8Array> {
    return send(this.context, payload, destination, options);
  }

  /** {@inheritDoc sendMessage} */
  sendMessage(surbId: Uint8Array, payload: Uint8Array, destination: ServiceDestination): Observable<MessageSentEvent> {
    return sendMessage(this.context, surbId, payload, destination);
  }

  /** {@inheritDoc sendMessageWithoutReply} */
  sendMessageWithoutReply(payload: Uint8Array, destination: ServiceDestination): Observable<never> {
    return sendMessageWithoutReply(this.context, payload, destination);
  }

  /** {@inheritDoc blockingSendMessage} */
  blockingSendMessage(payload: Uint8Array, destination: ServiceDestination, options?: RequestOptions): Promise<Uint8Array> {
    return blockingSendMessage(this.context, payload, destination, options);
  }

  // ---- Pigeonhole primitives ---------------------------------------------

  /** {@inheritDoc newKeypair} */
  newKeypair(seed: Uint8Array, options?: RequestOptions): Observable<KeypairResult> {
    return newKeypair(this.context, seed, options);
  }

  /** {@inheritDoc nextMessageBoxIndex} */
  nextMessageBoxIndex(messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<Uint8Array> {
    return nextMessageBoxIndex(this.context, messageBoxIndex, options);
  }

  /** {@inheritDoc getMessageBoxIndexCounter} */
  getMessageBoxIndexCounter(messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<bigint> {
    return getMessageBoxIndexCounter(this.context, messageBoxIndex, options);
  }

  /** {@inheritDoc encryptRead} */
  encryptRead(readCap: Uint8Array, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<EncryptResult> {
    return encryptRead(this.context, readCap, messageBoxIndex, options);
  }

  /** {@inheritDoc encryptWrite} */
  encryptWrite(plaintext: Uint8Array, writeCap: Uint8Array, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<EncryptResult> {
    return encryptWrite(this.context, plaintext, writeCap, messageBoxIndex, options);
  }

  /** {@inheritDoc startResendingEncryptedMessage} */
  startResendingEncryptedMessage(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessage(this.context, params, options);
  }

  /** {@inheritDoc startResendingEncryptedMessageReturnBoxExists} */
  startResendingEncryptedMessageReturnBoxExists(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessageReturnBoxExists(this.context, params, options);
  }

  /** {@inheritDoc startResendingEncryptedMessageNoRetry} */
  startResendingEncryptedMessageNoRetry(params: StartResendingParams, options?: RequestOptions): Observable<StartResendingResult> {
    return startResendingEncryptedMessageNoRetry(this.context, params, options);
  }

  /** {@inheritDoc cancelResendingEncryptedMessage} */
  cancelResendingEncryptedMessage(envelopeHash: Uint8Array, options?: RequestOptions): Observable<void> {
    return cancelResendingEncryptedMessage(this.context, envelopeHash, options);
  }

  /** {@inheritDoc tombstoneRange} */
  tombstoneRange(writeCap: Uint8Array, start: Uint8Array, maxCount: number, options?: RequestOptions): Observable<TombstoneRangeResult> {
    return tombstoneRange(this.context, writeCap, start, maxCount, options);
  }

  /** {@inheritDoc createCourierEnvelopesFromPayload} */
  createCourierEnvelopesFromPayload(
    payload: Uint8Array,
    destWriteCap: Uint8Array,
    destStartIndex: Uint8Array,
    isStart: boolean,
    isLast: boolean,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromPayload(this.context, payload, destWriteCap, destStartIndex, isStart, isLast, options);
  }

  /** {@inheritDoc createCourierEnvelopesFromMultiPayload} */
  createCourierEnvelopesFromMultiPayload(
    destinations: readonly DestinationPayload[],
    isStart: boolean,
    isLast: boolean,
    buffer?: Uint8Array | null,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromMultiPayload(this.context, destinations, isStart, isLast, buffer ?? null, options);
  }

  /** {@inheritDoc createCourierEnvelopesFromTombstoneRange} */
  createCourierEnvelopesFromTombstoneRange(
    destWriteCap: Uint8Array,
    destStartIndex: Uint8Array,
    maxCount: number,
    isStart: boolean,
    isLast: boolean,
    buffer?: Uint8Array | null,
    options?: RequestOptions,
  ): Observable<CreateEnvelopesResult> {
    return createCourierEnvelopesFromTombstoneRange(this.context, destWriteCap, destStartIndex, maxCount, isStart, isLast, buffer ?? null, options);
  }

  /** {@inheritDoc startResendingCopyCommand} */
  startResendingCopyCommand(writeCap: Uint8Array, courier?: CourierDestination, options?: RequestOptions): Observable<void> {
    return startResendingCopyCommand(this.context, writeCap, courier, options);
  }

  /** {@inheritDoc cancelResendingCopyCommand} */
  cancelResendingCopyCommand(writeCapHash: Uint8Array, options?: RequestOptions): Observable<void> {
    return cancelResendingCopyCommand(this.context, writeCapHash, options);
  }

  // ---- high level: built only from the primitives -------------------------

  /** {@inheritDoc write} */
  write(writeCap: Uint8Array, index: Uint8Array, plaintext: Uint8Array, options?: WriteOptions): Observable<Uint8Array> {
    return write(this.context, writeCap, index, plaintext, options);
  }

  /** {@inheritDoc read} */
  read(readCap: Uint8Array, index: Uint8Array, options?: ReadOptions): Observable<Uint8Array> {
    return read(this.context, readCap, index, options);
  }

  /** {@inheritDoc writeStream} */
  writeStream(writeCap: Uint8Array, index: Uint8Array, payload: Uint8Array, options?: WriteStreamOptions): Observable<WriteStreamProgress> {
    return writeStream(this.context, writeCap, index, payload, options);
  }

  /** {@inheritDoc readStream$} */
  readStream$(readCap: Uint8Array, index: Uint8Array, options?: ReadStreamOptions): Observable<Uint8Array> {
    return readStream$(this.context, readCap, index, options);
  }

  /** {@inheritDoc tail$} */
  tail$(readCap: Uint8Array, index: Uint8Array, options?: TailOptions): Observable<StreamMessage> {
    return tail$(this.context, readCap, index, options);
  }

  /** {@inheritDoc copySend} */
  copySend(destinations: readonly CopyDestination[], options?: CopySendOptions): Observable<Uint8Array[]> {
    return copySend(this.context, destinations, options);
  }

  /** {@inheritDoc copyTombstones} */
  copyTombstones(writeCap: Uint8Array, start: Uint8Array, count: number, options?: CopySendOptions): Observable<Uint8Array> {
    return copyTombstones(this.context, writeCap, start, count, options);
  }

  // ---- offline preparation ------------------------------------------------

  /** {@inheritDoc prepareWrite} */
  prepareWrite(writeCap: Uint8Array, index: Uint8Array, plaintext: Uint8Array, options?: RequestOptions): Observable<PreparedWrite> {
    return prepareWrite(this.context, writeCap, index, plaintext, options);
  }

  /** {@inheritDoc transmit} */
  transmit(prepared: PreparedWrite, options?: RequestOptions): Observable<Uint8Array> {
    return transmit(this.context, prepared, options);
  }

  /** Emits once when the daemon is connected to the mixnet (at once if it is). */
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

  /** The context feature modules are written against (for extensions in this package). */
  protected get ctx(): ClientContext {
    return this.context;
  }

  /**
   * One controller per connect(): made at construction (so requests made
   * before `connect()` wait in its outbox) and again after `disconnect()`.
   */
  private createController(): ConnectionController {
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const factory = this.options.socketFactory ?? connectByteStream;
    const reconnect = this.options.reconnect === false ? noReconnect : (this.options.reconnect ?? exponentialBackoff());
    const controller = new ConnectionController({
      dial: () => factory(this.config.dial).pipe(map((stream) => frameLink(stream))),
      clientInstanceToken: this.clientInstanceToken,
      scheduler,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 60_000,
      reconnect,
      random: this.randomFraction,
      logger: this.logger,
      onMessage: (message) => this.onMessage(message),
      onReady: (info) => this.requests.reconnected(info),
      onDisconnected: (info) => {
        this.requests.disconnected(info);
        this.eventsSubject.next({ type: 'daemon_disconnected', isGraceful: info.graceful, error: info.error, willReconnect: info.willReconnect });
      },
    });
    this.controller = controller;
    this.controllerState?.unsubscribe();
    // Mirror the controller's state, but not its completion: after
    // disconnect() the client can connect again.
    this.controllerState = controller.state$.subscribe((state) => this.stateSubject.next(state));
    return controller;
  }

  private onMessage(message: DaemonMessage | UnknownVariant): void {
    if (message.type === 'new_pki_document_event' && message.payload && message.payload.length > 0) {
      try {
        this.documentSubject.next(decodePKIDocument(message.payload));
      } catch (error) {
        this.logger.warn('could not decode the PKI document', { error: String(error) });
      }
    }
    this.requests.route(message);
    if (message.type === 'unknown') this.eventsSubject.next({ type: 'unknown_message', keys: message.keys });
    else this.eventsSubject.next(message);
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
