import { NEVER, Observable, of, throwError, type SchedulerLike } from 'rxjs';
import { RequestEngine } from '../../src/client/request-engine.js';
import type { DisconnectInfo } from '../../src/core/connection-controller.js';
import type { Link, LinkMessage } from '../../src/core/link.js';
import { silentLogger } from '../../src/core/logger.js';
import { noReconnect, type ReconnectPolicy } from '../../src/core/reconnect-policy.js';
import { Session } from '../../src/core/session.js';
import { bytes } from './daemon-messages.js';
import { counterIds, ScriptedLink } from './scripted-link.js';

export interface HarnessOptions {
  readonly reconnect?: ReconnectPolicy;
  readonly maxMixnetInFlight?: number;
  readonly defaultTimeoutMs?: number;
}

/**
 * A Session (and the RequestEngine over it) dialling the given links in
 * turn — a link, or an Error for a failed dial; when they run out, dials
 * never complete. Records the messages and losses the session reports.
 */
export function sessionHarness(scheduler: SchedulerLike, links: Array<Link | Error>, options: HarnessOptions = {}) {
  const messages: LinkMessage[] = [];
  const lost: Array<DisconnectInfo & { at: number }> = [];
  const dials: number[] = [];
  const session = new Session({
    dial: (): Observable<Link> => {
      dials.push(scheduler.now());
      const next = links.shift();
      if (!next) return NEVER;
      return next instanceof Error ? throwError(() => next) : of(next);
    },
    clientInstanceToken: bytes(16, 7),
    scheduler,
    handshakeTimeoutMs: 60_000,
    reconnect: options.reconnect ?? noReconnect,
    random: () => 0.5,
    logger: silentLogger,
    ids: counterIds(),
    maxMixnetInFlight: options.maxMixnetInFlight ?? 16,
    onMessage: (message) => messages.push(message),
    onDisconnected: (info) => lost.push({ ...info, at: scheduler.now() }),
  });
  const engine = new RequestEngine(session, scheduler, options.defaultTimeoutMs);
  return { session, engine, messages, lost, dials };
}

/** A harness whose session is connected (synchronously, at the current frame) over one scripted link. */
export function connectedSession(scheduler: SchedulerLike, link: ScriptedLink = new ScriptedLink(scheduler), options: HarnessOptions = {}) {
  const harness = sessionHarness(scheduler, [link], options);
  harness.session.connect().subscribe();
  return { ...harness, link };
}
