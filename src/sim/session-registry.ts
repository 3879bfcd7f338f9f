import type { OutgoingDaemonMessage } from '../wire/messages.js';
import type { SimClock, SimTimer } from './sim-clock.js';

/** The daemon keeps at most this many replies for an absent client (`maxQueuedReplies`). */
export const MAX_QUEUED_REPLIES = 1000;

interface DisconnectedSession {
  readonly token: string;
  readonly timer: SimTimer;
  readonly queued: OutgoingDaemonMessage[];
}

/**
 * Session tokens and grace periods (DAEMON.md §1.2–§1.3,
 * `listener.handleSessionToken`, `onClosedConn`): token → AppID, and the
 * sessions whose client went away without `thin_close`, with their grace
 * timer and the legacy replies queued for them. Keys are hex strings.
 *
 * @example
 * registry.register(tokenHex, appIdHex);
 * registry.disconnect(appIdHex, tokenHex, () => cleanup(appIdHex));
 */
export class SessionRegistry {
  private readonly tokens = new Map<string, string>();
  private readonly disconnected = new Map<string, DisconnectedSession>();

  constructor(
    private readonly clock: SimClock,
    private readonly gracePeriodMs: number,
  ) {}

  /** Number of known tokens (live or within their grace period). */
  get tokenCount(): number {
    return this.tokens.size;
  }

  /** Number of sessions in their grace period. */
  get disconnectedCount(): number {
    return this.disconnected.size;
  }

  /** Replies queued for sessions in their grace period. */
  get queuedCount(): number {
    let total = 0;
    for (const session of this.disconnected.values()) total += session.queued.length;
    return total;
  }

  /** The AppID a token maps to, if known. */
  lookup(token: string): string | undefined {
    return this.tokens.get(token);
  }

  register(token: string, appId: string): void {
    this.tokens.set(token, appId);
  }

  forgetToken(token: string): void {
    this.tokens.delete(token);
  }

  /**
   * Starts the grace period of a session whose client left without
   * `thin_close`; `onExpire` runs when it ends (after the token is dropped).
   */
  disconnect(appId: string, token: string, onExpire: () => void): void {
    this.disconnected.get(appId)?.timer.cancel();
    const timer = this.clock.setTimer(this.gracePeriodMs, () => {
      if (this.disconnected.get(appId)?.timer !== timer) return;
      this.disconnected.delete(appId);
      this.tokens.delete(token);
      onExpire();
    });
    this.disconnected.set(appId, { token, timer, queued: [] });
  }

  /**
   * Ends the grace period on resume; returns the queued replies to flush
   * (before the `session_token_reply`), or `[]`.
   */
  resume(appId: string): OutgoingDaemonMessage[] {
    const session = this.disconnected.get(appId);
    if (session === undefined) return [];
    session.timer.cancel();
    this.disconnected.delete(appId);
    return session.queued;
  }

  /**
   * Queues a reply for an absent client. Returns false when the AppID has
   * no session in its grace period (the reply is then lost). Past
   * {@link MAX_QUEUED_REPLIES} replies are dropped silently (returns true).
   */
  queue(appId: string, message: OutgoingDaemonMessage): boolean {
    const session = this.disconnected.get(appId);
    if (session === undefined) return false;
    if (session.queued.length < MAX_QUEUED_REPLIES) session.queued.push(message);
    return true;
  }

  /** Whether the AppID is in its grace period. */
  isDisconnected(appId: string): boolean {
    return this.disconnected.has(appId);
  }

  /** Drops everything (daemon stop). */
  clear(): void {
    for (const session of this.disconnected.values()) session.timer.cancel();
    this.disconnected.clear();
    this.tokens.clear();
  }
}
