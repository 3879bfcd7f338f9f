/**
 * What the connection does to work in flight, on the real network: a
 * `disconnect()` and session resume while an ARQ read is pending at the
 * daemon; kpclientd killed (SIGKILL) and restarted during a `writeStream`;
 * an outbox filled while the daemon is down and flushed when it returns.
 *
 * The kill and the outbox use a daemon of their own ("restartable"), so the
 * other checks' daemon is never disturbed.
 */
import { ReplaySubject, filter, firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { KatzenpostError, bytesEqual, type OutboxResult, type WriteStreamProgress } from 'katzenpost-rx';
import { attachTestnet, check, concat, connectTo, daemonLog, freshSeed, line, pattern, text, utf8 } from './support/testnet-env.js';
import { MAIN_DAEMON, type Testnet } from '../../testnet/testnet.js';

const RESTARTABLE = 'restartable';
/** A daemon with a WebSocket listener, for the resume-while-encrypting check over WebSocket. */
const WS_DAEMON = 'resume-ws';

let net: Testnet;

beforeAll(async () => {
  net = await attachTestnet();
  if (!net.snapshot.daemons.some((d) => d.name === RESTARTABLE)) await net.startDaemon(RESTARTABLE, { transport: 'tcp' });
}, 180_000);

afterAll(async () => {
  await net?.removeDaemon(RESTARTABLE).catch(() => undefined);
});

/** Settles once: resolves `{ value }` or `{ error }`, and records any further notification. */
function settleOnce<T>(subscribe: (handlers: { next: (v: T) => void; error: (e: unknown) => void }) => void): { settled: Promise<{ value?: T; error?: unknown }>; extra: string[] } {
  const extra: string[] = [];
  let done = false;
  const settled = new Promise<{ value?: T; error?: unknown }>((resolve) => {
    subscribe({
      next: (value) => (done ? extra.push('next') : ((done = true), resolve({ value }))),
      error: (error) => (done ? extra.push(`error ${String(error)}`) : ((done = true), resolve({ error }))),
    });
  });
  return { settled, extra };
}

describe('session resume', () => {
  check('disconnect() while an ARQ read is pending, connect() again: the session resumes; the read settles exactly once', 240_000, async () => {
    const client = await connectTo(net);
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(freshSeed()));
      const log = await daemonLog(net);
      const pending = settleOnce<Uint8Array>((h) => client.read(readCap, firstMessageIndex).subscribe(h));
      await log.until(/startResendingEncryptedMessage: isRead=true/, 'the daemon starts the read ARQ', 60_000);
      const { appId, instanceToken } = client.state;
      await client.disconnect();
      await client.connect();
      expect(client.state.resumed).toBe(true);
      expect(client.state.appId).toEqual(appId);
      expect(client.state.instanceToken).toEqual(instanceToken);
      // Write the box the read waits for: a read that survived the disconnect now completes.
      await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('after the resume')));
      const outcome = await pending.settled;
      if (outcome.error !== undefined) {
        expect(outcome.error).toBeInstanceOf(KatzenpostError);
        line(`     the pending read failed with ${(outcome.error as Error).name} (disconnect() fails pending requests)`);
      } else {
        expect(text(outcome.value!)).toBe('after the resume');
      }
      // A new read on the resumed session works, and nothing arrives twice.
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('after the resume');
      expect(pending.extra).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

/**
 * encrypt_write in flight, disconnect(), connect(): the old connection must
 * be closed (its AppID unregistered) before the session resumes, and a
 * request after the resume completes.
 */
async function resumeWhileEncrypting(daemon: string): Promise<void> {
  const client = await connectTo(net, daemon);
  try {
    const { writeCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(freshSeed()));
    const log = await daemonLog(net, daemon);
    client.encryptWrite(utf8('in the daemon when we leave'), writeCap, firstMessageIndex).subscribe({ error: () => undefined });
    await log.until(/encryptWrite: Generated BoxID/, 'the daemon encrypts', 60_000);
    await client.disconnect();
    await client.connect();
    expect(client.state.resumed).toBe(true);
    // The old connection was closed (and its AppID unregistered) before the resume, not after it.
    const logText = await log.text();
    const closedAt = logText.search(/Preserving state for disconnected session/);
    const resumedAt = logText.search(/Session resumed for token/);
    expect(closedAt).toBeGreaterThanOrEqual(0);
    expect(resumedAt).toBeGreaterThan(closedAt);
    await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex, { timeoutMs: 20_000 }));
  } finally {
    await client.close();
  }
}

describe('session resume while the daemon encrypts', () => {
  // kpclientd runs encrypt_* inline on the connection's worker, so it notices
  // a closed connection only when the encryption is done — seconds later —
  // and then unregisters the connection by AppID (client/listener.go
  // onClosedConn: unregisterConn, then "Preserving state for disconnected
  // session"). Had the client resumed its session on a new connection
  // meanwhile, that would take the live session with it: every later reply
  // held for a reconnect that never comes. The client waits for the daemon's
  // side of the old close before it dials again (ConnectionController).
  check('disconnect() + connect() while the daemon encrypts: the resume waits for the old connection to close; requests after it complete', 120_000, () =>
    resumeWhileEncrypting(MAIN_DAEMON),
  );

  describe('over WebSocket', () => {
    beforeAll(async () => {
      if (!net.snapshot.daemons.some((d) => d.name === WS_DAEMON)) await net.startDaemon(WS_DAEMON, { transport: 'ws' });
    }, 180_000);
    afterAll(async () => {
      await net?.removeDaemon(WS_DAEMON).catch(() => undefined);
    });
    // The daemon's WebSocket library (coder/websocket) answers our close
    // frame from the connection's reader goroutine at once, and closes the
    // socket, while the worker goroutine still encrypts: the close event
    // does not mean the old AppID is unregistered, as a TCP/Unix FIN does.
    // So the client first sends a request the worker answers in order (a
    // barrier) and closes only after its reply (ConnectionController).
    check('disconnect() + connect() over WebSocket while the daemon encrypts: the resume waits for the old connection to close; requests after it complete', 120_000, () =>
      resumeWhileEncrypting(WS_DAEMON),
    );
  });
});

describe('daemon restarts', () => {
  check('kpclientd killed (SIGKILL) and restarted during a writeStream: the payload arrives exactly once', 420_000, async () => {
    const client = await connectTo(net, RESTARTABLE);
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(freshSeed()));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      const payload = pattern(6 * boxSize - 4, 7); // six boxes with the 4-byte header
      const firstInstance = client.state.instanceToken;
      const progress = new ReplaySubject<WriteStreamProgress>();
      const writing = lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload).pipe(tap(progress), toArray()));
      // Kill it once some boxes are written and others are in flight.
      await firstValueFrom(progress.pipe(filter((p) => p.boxesDone >= 2)));
      await net.stopDaemon(RESTARTABLE, 'SIGKILL');
      line(`     killed kpclientd after 2 of 6 boxes were written`);
      await net.resumeDaemon(RESTARTABLE);
      const events = await writing;
      expect(client.state.instanceToken).not.toEqual(firstInstance);
      expect(events.map((p) => p.boxesDone)).toEqual([1, 2, 3, 4, 5, 6]);
      const chunks = await lastValueFrom(client.readStream$(readCap, firstMessageIndex).pipe(toArray()));
      expect(chunks.length).toBe(6);
      expect(bytesEqual(concat(chunks), payload)).toBe(true);
    } finally {
      await client.close();
    }
  });

  check('an outbox filled while the daemon is down is flushed, in order, when it returns', 300_000, async () => {
    const client = await connectTo(net, RESTARTABLE);
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(freshSeed()));
      // Prepared (encrypted by the daemon) while it runs…
      const first = await firstValueFrom(client.prepareWrite(writeCap, firstMessageIndex, utf8('first')));
      const second = await firstValueFrom(client.prepareWrite(writeCap, first.nextMessageBoxIndex, utf8('second')));
      // …queued while it is down: nothing can be sent.
      await net.stopDaemon(RESTARTABLE);
      await firstValueFrom(client.state$.pipe(filter((s) => s.daemon !== 'connected'), take(1)));
      const outbox = client.createOutbox();
      const results = firstValueFrom(outbox.results$.pipe(take(2), toArray()));
      outbox.add(first);
      outbox.add(second);
      expect(outbox.pending.length).toBe(2);
      await net.resumeDaemon(RESTARTABLE);
      const sent: OutboxResult[] = await results;
      expect(sent.map((r) => r.status)).toEqual(['sent', 'sent']);
      expect(sent.map((r) => r.prepared)).toEqual([first, second]);
      expect(outbox.pending.length).toBe(0);
      outbox.close();
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('first');
      expect(text(await firstValueFrom(client.read(readCap, first.nextMessageBoxIndex)))).toBe('second');
    } finally {
      await client.close();
    }
  });
});
