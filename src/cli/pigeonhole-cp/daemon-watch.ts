import { bytesEqual } from '../../core/hex.js';
import type { ConnectionState } from '../../core/connection-state.js';
import type { ThinClient } from '../../client/thin-client.js';
import { KatzenpostError } from '../../errors/katzenpost-error.js';
import type { ConnectionNote } from './progress.js';

/** The daemon stayed away longer than `--daemon-timeout`: the transfer stopped and can be resumed. */
export class DaemonUnavailableError extends KatzenpostError {
  override readonly name = 'DaemonUnavailableError';
  constructor(seconds: number, reason: string | null) {
    super(
      'ERR_DAEMON_UNAVAILABLE',
      `no connection to the daemon for ${seconds} s${reason ? ` (last error: ${reason})` : ''} — is kpclientd running? ` +
        'Nothing is lost: run the same command again to continue where this one stopped (--daemon-timeout sets how long to wait)',
    );
  }
}

/** A running watch (see {@link watchDaemon}). */
export interface DaemonWatch {
  /** Rejects with `DaemonUnavailableError` when the daemon has been away too long; never resolves. */
  readonly failure: Promise<never>;
  stop(): void;
}

/**
 * Watches the client's connection while a transfer runs: tells `report`
 * when the daemon is lost (the client reconnects by itself and the
 * transfer waits) and when it is back (session resumed, or the daemon
 * restarted and the client replayed what was in flight), and gives up —
 * `failure` rejects — once it has been away for `timeoutMs`, or at once
 * if the client stops reconnecting.
 *
 * @example
 * const watch = watchDaemon(client, (note) => progress.connection(note), 60_000);
 * try { await Promise.race([transfer, watch.failure]); } finally { watch.stop(); }
 */
export function watchDaemon(client: ThinClient, report: (note: ConnectionNote) => void, timeoutMs: number, now: () => number = () => performance.now()): DaemonWatch {
  let fail: (error: Error) => void = () => undefined;
  const failure = new Promise<never>((_resolve, reject) => {
    fail = reject;
  });
  // Nobody may be racing it yet (or any more): an unobserved rejection must not crash the process.
  failure.catch(() => undefined);
  let lostAt: number | null = null;
  let token: Uint8Array | null = client.state.instanceToken;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const reason = (state: ConnectionState): string | null => state.lastError?.message ?? null;
  const clear = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const subscription = client.state$.subscribe((state) => {
    if (state.daemon === 'connected') {
      if (lostAt !== null) {
        const restarted = token !== null && state.instanceToken !== null && !bytesEqual(token, state.instanceToken);
        report({ state: 'back', session: restarted ? 'restarted' : state.resumed ? 'resumed' : 'new', downSeconds: (now() - lostAt) / 1000 });
        lostAt = null;
        clear();
      }
      token = state.instanceToken;
      return;
    }
    if (state.daemon === 'closed') {
      clear();
      if (lostAt !== null) fail(new DaemonUnavailableError(Math.round((now() - lostAt) / 1000), reason(state)));
      return;
    }
    if (state.daemon === 'reconnecting' && lostAt === null) {
      lostAt = now();
      report({ state: 'lost', attempt: state.reconnectAttempt, reason: reason(state) });
      timer = setTimeout(() => fail(new DaemonUnavailableError(Math.round(timeoutMs / 1000), reason(client.state))), timeoutMs);
    }
  });
  return {
    failure,
    stop() {
      subscription.unsubscribe();
      clear();
    },
  };
}
