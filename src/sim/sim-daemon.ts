import { fromHex, toHex } from '../core/hex.js';
import type { Logger } from '../core/logger.js';
import { WireSizes } from '../wire/constants.js';
import type { DecodedRequest, DirectoryAuthority, OutgoingDaemonMessage } from '../wire/messages.js';
import { LegacySender } from './legacy-send.js';
import type { LocalContext } from './local-context.js';
import { ArqEngine } from './pigeonhole/arq-engine.js';
import { handleBoxRequest } from './pigeonhole/box-requests.js';
import { DaemonCpu } from './daemon-cpu.js';
import { handleEnvelopeConstructor } from './pigeonhole/envelope-constructors.js';
import { handleGetDirectoryAuthorities, handleGetPkiDocument } from './pki-requests.js';
import { PoissonSender } from './poisson-sender.js';
import { SessionRegistry } from './session-registry.js';
import type { SimClock, SimTimer } from './sim-clock.js';
import { SimConnection, type QueuedMixnetRequest } from './sim-connection.js';
import type { SimNetwork } from './sim-network.js';
import type { SimRandom } from './sim-random.js';
import type { SimSocket } from './sim-socket.js';
import { handleVoucherRequest } from './voucher/voucher-requests.js';

/** Accept-time wait for a document is polled at this interval (`waitForPKIDoc`). */
const PKI_POLL_MS = 200;
/** Failed dial attempts while offline: first after 2 s, then +15 s each, at most 2 min apart. */
const DIAL_RETRY_FIRST_MS = 2000;
const DIAL_RETRY_STEP_MS = 15_000;
const DIAL_RETRY_MAX_MS = 120_000;

/** Per-daemon-process settings. */
export interface SimDaemonSettings {
  readonly sessionGracePeriodMs: number;
  readonly pkiWaitMs: number;
  readonly authorities: readonly DirectoryAuthority[];
  readonly mixLayers: number;
  /** Broadcast `is_connected: false` on every simulated failed dial while offline. */
  readonly repeatOfflineStatus: boolean;
  /** Put a `connection_status_event` right before every `session_token_reply`. */
  readonly eventBeforeSessionTokenReply: boolean;
}

/** Counters for tests and tooling. */
export interface SimStats {
  /** Open client connections. */
  readonly connections: number;
  /** Known session tokens (live or in their grace period). */
  readonly sessions: number;
  /** Sessions in their grace period. */
  readonly disconnectedSessions: number;
  /** Legacy replies queued for sessions in their grace period. */
  readonly queuedReplies: number;
  /** Mixnet requests waiting for a send slot, over all connections (including a blocked reader's). */
  readonly pendingMixnetRequests: number;
  /** ARQ resends waiting for a send slot. */
  readonly pendingResends: number;
  /** Connections whose reader is blocked on a full mixnet FIFO. */
  readonly blockedConnections: number;
  /** Pigeonhole operations in flight (including orphaned ones). */
  readonly arqInFlight: number;
  /** Of those, orphaned: no timer, no resend queued — they never end by themselves (DAEMON.md §1.3). */
  readonly orphanedArqs: number;
  /** Of those, ARQs that share an envelope / write-cap hash with an older one (DAEMON.md §3.5). */
  readonly duplicateArqs: number;
  /** Boxes stored on the simulated replicas. */
  readonly boxes: number;
  /** The daemon's CPU work so far (encryptions, reply decryptions), in simulated ms over all its cores. */
  readonly cpuMs: number;
}

/** What a daemon process is built from. */
export interface SimDaemonDeps {
  readonly network: SimNetwork;
  readonly clock: SimClock;
  readonly random: SimRandom;
  readonly logger: Logger;
  readonly settings: SimDaemonSettings;
  /** The process dies (the handle restarts it). */
  readonly onCrash: (reason: string) => void;
}

/**
 * One simulated kpclientd process (`client/listener.go`, `daemon.go`): all
 * of its state is in memory and lost when it stops. The network it talks
 * to ({@link SimNetwork}) outlives it.
 *
 * - Accept: a random AppID, registered at once; the accept loop then waits
 *   (blocking later dialers too) until a document exists, up to
 *   `pkiWaitMs`, before queueing connection_status_event and
 *   new_pki_document_event and starting to read.
 * - Sessions: token → AppID, resume with queued replies flushed before the
 *   session_token_reply, grace period, `thin_close`.
 * - One λP sender, round-robin across clients, resends first.
 *
 * @example
 * const daemon = new SimDaemon(deps);
 * listener = await listenSim(listen, (socket) => daemon.accept(socket));
 */
export class SimDaemon {
  readonly instanceToken: Uint8Array;
  readonly logger: Logger;
  readonly clock: SimClock;
  readonly random: SimRandom;
  readonly network: SimNetwork;
  readonly mixLayers: number;
  /** The cores every connection's encryptions and the reply decryptions share. */
  readonly cpu: DaemonCpu;

  private readonly conns = new Map<string, SimConnection>();
  private readonly connOrder: string[] = [];
  private rrCursor = 0;
  private readonly live = new Set<SimConnection>();
  private readonly sessions: SessionRegistry;
  private readonly sender: PoissonSender;
  private readonly arq: ArqEngine;
  private readonly legacy: LegacySender;
  private readonly context: LocalContext;
  /** The accept loop is serial: connections wait here for their greeting. */
  private readonly acceptQueue: SimConnection[] = [];
  private accepting = false;
  private offlineTimer: SimTimer | null = null;
  private readonly unsubscribePki: () => void;
  private stopped = false;

  constructor(private readonly deps: SimDaemonDeps) {
    this.network = deps.network;
    this.clock = deps.clock;
    this.random = deps.random;
    this.logger = deps.logger;
    this.mixLayers = deps.settings.mixLayers;
    this.cpu = new DaemonCpu(deps.network.latency.daemonCores);
    this.instanceToken = deps.random.bytes(WireSizes.instanceToken);
    this.sessions = new SessionRegistry(deps.clock, deps.settings.sessionGracePeriodMs);
    this.context = {
      geometry: deps.network.geometry,
      pki: deps.network.pki,
      random: deps.random,
      authorities: deps.settings.authorities,
    };
    this.arq = new ArqEngine(this);
    this.legacy = new LegacySender(this);
    this.sender = new PoissonSender(deps.clock, deps.network.latency, () => this.sendOne());
    this.unsubscribePki = deps.network.pki.onAnnounce((_epoch, document) => this.onDocument(document));
    this.updateSender();
    if (!deps.network.online) this.scheduleFailedDial(DIAL_RETRY_FIRST_MS);
  }

  // ---- accept and handshake ---------------------------------------------------

  /** Takes a freshly accepted socket. */
  accept(socket: SimSocket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const connection = new SimConnection(socket, this, this.random.bytes(WireSizes.appId));
    this.live.add(connection);
    this.register(connection);
    // The accept loop is serial: a connection waiting for a document holds up the next ones.
    this.acceptQueue.push(connection);
    this.acceptNext();
  }

  /**
   * Callbacks and clock timers only, no Promises: under a virtual clock
   * (`katzenpost-rx/testing`) microtasks would not run inside the
   * scheduler's flush, and the greeting would never be sent.
   */
  private acceptNext(): void {
    if (this.accepting) return;
    const connection = this.acceptQueue.shift();
    if (connection === undefined) return;
    this.accepting = true;
    this.waitForDocument(() => {
      this.accepting = false;
      if (!this.stopped) this.greet(connection);
      this.acceptNext();
    });
  }

  private greet(connection: SimConnection): void {
    const { pki } = this.network;
    const epoch = pki.currentDocumentEpoch();
    connection.send(this.statusEvent());
    connection.send({ type: 'new_pki_document_event', payload: epoch === null ? null : pki.document(epoch) });
    // Broadcasts skip the connection until now, so nothing can precede the pair.
    connection.initialSequenceDone = true;
    connection.start();
  }

  /** Calls `done` once a document is cached, or after `pkiWaitMs` (polled every 200 ms). */
  private waitForDocument(done: () => void): void {
    const { pki } = this.network;
    const deadline = this.clock.now() + this.deps.settings.pkiWaitMs;
    const poll = (): void => {
      if (this.stopped || pki.currentDocumentEpoch() !== null || this.clock.now() >= deadline) return done();
      this.clock.setTimer(Math.min(PKI_POLL_MS, deadline - this.clock.now()), poll);
    };
    poll();
  }

  private statusEvent(): OutgoingDaemonMessage {
    return {
      type: 'connection_status_event',
      isConnected: this.network.online,
      err: null,
      instanceToken: this.instanceToken,
      sphinxGeometry: this.network.geometry.sphinx,
      pigeonholeGeometry: this.network.geometry.pigeonhole,
    };
  }

  // ---- ConnectionHost -------------------------------------------------------------

  later(fn: () => void): void {
    this.clock.setTimer(0, fn);
  }

  after(delayMs: number, fn: () => void): void {
    this.clock.setTimer(delayMs, fn);
  }

  localWorkMs(request: DecodedRequest): number {
    return this.deps.network.latency.localWork(request.type);
  }

  compute(costMs: number, fn: () => void): void {
    const now = this.clock.now();
    this.clock.setTimer(this.cpu.schedule(now, costMs) - now, fn);
  }

  /** `handleSessionToken` (DAEMON.md §1.2). */
  handleSessionToken(connection: SimConnection, token: Uint8Array): void {
    const tokenKey = toHex(token);
    const existing = this.sessions.lookup(tokenKey);
    if (existing === undefined) {
      connection.clientToken = tokenKey;
      this.sessions.register(tokenKey, connection.appKey);
      if (this.deps.settings.eventBeforeSessionTokenReply) connection.send(this.statusEvent());
      connection.send({ type: 'session_token_reply', appId: connection.appId, resumed: false });
      return;
    }
    const oldKey = connection.appKey;
    this.conns.delete(oldKey);
    connection.appId = fromHex(existing);
    this.conns.set(existing, connection);
    const at = this.connOrder.indexOf(oldKey);
    if (at >= 0) this.connOrder[at] = existing;
    // Queued legacy replies go out first, then the reply.
    for (const message of this.sessions.resume(existing)) connection.send(message);
    connection.clientToken = tokenKey;
    if (this.deps.settings.eventBeforeSessionTokenReply) connection.send(this.statusEvent());
    connection.send({ type: 'session_token_reply', appId: connection.appId, resumed: true });
  }

  dispatchLocal(connection: SimConnection, request: DecodedRequest): void {
    try {
      this.dispatchLocalUnguarded(connection, request);
    } catch (error) {
      // Like the daemon's recoverDispatch: log, no reply, keep serving.
      this.logger.error('sim: local request failed', { type: request.type, error: String(error) });
    }
  }

  private dispatchLocalUnguarded(connection: SimConnection, request: DecodedRequest): void {
    const appKey = connection.appKey;
    switch (request.type) {
      case 'new_keypair':
      case 'encrypt_read':
      case 'encrypt_write':
      case 'next_message_box_index':
      case 'get_message_box_index_counter':
        return this.deliver(appKey, handleBoxRequest(this.context, request));
      case 'create_courier_envelopes_from_payload':
      case 'create_courier_envelopes_from_multi_payload':
      case 'create_courier_envelopes_from_tombstone_range':
        return this.deliver(appKey, handleEnvelopeConstructor(this.context, request));
      case 'get_pki_document':
        return this.deliver(appKey, handleGetPkiDocument(this.context, request));
      case 'get_directory_authorities':
        return this.deliver(appKey, handleGetDirectoryAuthorities(this.context, request));
      case 'voucher_mint':
      case 'voucher_induct':
      case 'voucher_open':
      case 'voucher_derive_stream':
        return this.deliver(appKey, handleVoucherRequest(this.context, request));
      case 'cancel_resending_encrypted_message': {
        const target = this.conns.get(appKey);
        if (target !== undefined) this.arq.cancelEncrypted(target, request);
        return;
      }
      case 'cancel_resending_copy_command': {
        const target = this.conns.get(appKey);
        if (target !== undefined) this.arq.cancelCopy(target, request);
        return;
      }
      default:
        // Control and mixnet kinds never reach here (SimConnection routes them).
        return;
    }
  }

  mixnetQueued(): void {
    this.sender.kick();
  }

  /** `onClosedConn` (DAEMON.md §1.3–§1.4). */
  closed(connection: SimConnection): void {
    this.live.delete(connection);
    if (this.stopped) return;
    const appKey = connection.appKey;
    this.unregister(appKey);
    if (connection.explicitClose) {
      this.cleanupApp(appKey);
      if (connection.clientToken !== null) this.sessions.forgetToken(connection.clientToken);
      return;
    }
    if (connection.clientToken !== null) {
      this.sessions.disconnect(appKey, connection.clientToken, () => this.cleanupApp(appKey));
      return;
    }
    // A client that never sent a session token: its state goes at once.
    this.cleanupApp(appKey);
  }

  // ---- ArqHost / LegacyHost -------------------------------------------------------

  connection(appKey: string): SimConnection | undefined {
    return this.conns.get(appKey);
  }

  /** To the AppID's connection if there is one; otherwise the reply is lost. */
  deliver(appKey: string, message: OutgoingDaemonMessage): void {
    this.conns.get(appKey)?.send(message);
  }

  sendIfConnected(appKey: string, message: OutgoingDaemonMessage): boolean {
    return this.conns.get(appKey)?.send(message) ?? false;
  }

  /** Legacy replies are queued (at most 1000) for a session in its grace period. */
  deliverQueueable(appKey: string, message: OutgoingDaemonMessage): void {
    const connection = this.conns.get(appKey);
    if (connection !== undefined) connection.send(message);
    else if (!this.sessions.queue(appKey, message)) this.logger.debug('sim: reply for an unknown AppID dropped');
  }

  resendQueued(): void {
    this.sender.kick();
  }

  crash(reason: string): void {
    if (this.stopped) return;
    this.logger.error(`sim: daemon crash: ${reason}`);
    this.deps.onCrash(reason);
  }

  // ---- sending ------------------------------------------------------------------

  /** `PickNextRequest` + dispatch: one request, round-robin across clients, resends first. */
  private sendOne(): boolean {
    const n = this.connOrder.length;
    if (n === 0) return false;
    for (let i = 0; i < n; i++) {
      const idx = (this.rrCursor + i) % n;
      const connection = this.conns.get(this.connOrder[idx]!);
      if (connection === undefined) continue;
      const next = connection.takeNext();
      if (next === null) continue;
      this.rrCursor = (idx + 1) % n;
      try {
        if ('resend' in next) this.arq.resend(next.resend);
        else this.dispatchMixnet(next.queued);
      } catch (error) {
        // Like the daemon's recoverDispatch: log, drop the request, keep serving.
        this.logger.error('sim: mixnet dispatch failed', { error: String(error) });
      }
      return true;
    }
    this.rrCursor = (this.rrCursor + 1) % n;
    return false;
  }

  private dispatchMixnet(queued: QueuedMixnetRequest): void {
    const appKey = toHex(queued.appId);
    const request = queued.request;
    if (request === null) {
      this.logger.debug('sim: request with no known variant dropped at dispatch');
      return;
    }
    switch (request.type) {
      case 'send_message':
        return this.legacy.send(appKey, request);
      case 'start_resending_encrypted_message':
        return this.arq.startEncrypted(appKey, request);
      case 'start_resending_copy_command':
        return this.arq.startCopy(appKey, request);
      default:
        return;
    }
  }

  private updateSender(): void {
    this.sender.setRunning(!this.stopped && this.network.online && this.network.pki.hasDocument);
  }

  // ---- events ---------------------------------------------------------------------

  private onDocument(document: Uint8Array): void {
    if (this.stopped) return;
    for (const connection of this.conns.values()) {
      if (connection.initialSequenceDone) connection.send({ type: 'new_pki_document_event', payload: document });
    }
    this.updateSender();
  }

  /** The gateway link changed (the handle already set `network.online`). */
  linkChanged(): void {
    if (this.stopped) return;
    this.broadcastStatus();
    this.updateSender();
    this.offlineTimer?.cancel();
    this.offlineTimer = null;
    if (!this.network.online) this.scheduleFailedDial(DIAL_RETRY_FIRST_MS);
  }

  private broadcastStatus(): void {
    for (const connection of this.conns.values()) {
      if (connection.initialSequenceDone) connection.send(this.statusEvent());
    }
  }

  /** While offline, every failed dial attempt is reported again (not de-duplicated, DAEMON.md §1.6). */
  private scheduleFailedDial(delayMs: number): void {
    if (!this.deps.settings.repeatOfflineStatus) return;
    this.offlineTimer = this.clock.setTimer(delayMs, () => {
      this.offlineTimer = null;
      if (this.stopped || this.network.online) return;
      this.broadcastStatus();
      this.scheduleFailedDial(Math.min(DIAL_RETRY_MAX_MS, delayMs + DIAL_RETRY_STEP_MS));
    });
  }

  // ---- lifecycle ------------------------------------------------------------------

  /** SIGTERM: `shutdown_event` written to every registered connection, then all are closed. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const connection of this.conns.values()) connection.sendDirect({ type: 'shutdown_event' });
    for (const connection of [...this.live]) connection.close();
    this.dispose();
  }

  /** A crash: every socket dropped, nothing sent. */
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const connection of [...this.live]) connection.drop();
    this.dispose();
  }

  /** Every socket lost without a restart: sessions with a token enter their grace period. */
  dropConnections(): void {
    for (const connection of [...this.live]) connection.drop();
  }

  stats(): SimStats {
    let pendingMixnetRequests = 0;
    let pendingResends = 0;
    let blockedConnections = 0;
    for (const connection of this.live) {
      pendingMixnetRequests += connection.mixnetQueue.length + (connection.isBlocked ? 1 : 0);
      pendingResends += connection.resendQueue.length;
      if (connection.isBlocked) blockedConnections += 1;
    }
    return {
      connections: this.live.size,
      sessions: this.sessions.tokenCount,
      disconnectedSessions: this.sessions.disconnectedCount,
      queuedReplies: this.sessions.queuedCount,
      pendingMixnetRequests,
      pendingResends,
      blockedConnections,
      arqInFlight: this.arq.inFlight,
      orphanedArqs: this.arq.orphaned,
      duplicateArqs: this.arq.duplicates,
      boxes: this.network.boxes.size,
      cpuMs: this.cpu.busyMs,
    };
  }

  private dispose(): void {
    this.sender.dispose();
    this.arq.dispose();
    this.legacy.dispose();
    this.sessions.clear();
    this.offlineTimer?.cancel();
    this.offlineTimer = null;
    this.unsubscribePki();
  }

  private register(connection: SimConnection): void {
    this.conns.set(connection.appKey, connection);
    this.connOrder.push(connection.appKey);
  }

  private unregister(appKey: string): void {
    this.conns.delete(appKey);
    const at = this.connOrder.indexOf(appKey);
    if (at < 0) return;
    this.connOrder.splice(at, 1);
    if (this.rrCursor > at) this.rrCursor -= 1;
    const n = this.connOrder.length;
    if (n === 0) this.rrCursor = 0;
    else if (this.rrCursor >= n) this.rrCursor %= n;
  }

  private cleanupApp(appKey: string): void {
    this.arq.cleanupApp(appKey);
    this.legacy.cleanupApp(appKey);
  }
}
