/**
 * Fault injection 7b / issue item 4: hostile and malformed input from the
 * daemon, injected by a TCP proxy into the daemon→client stream between
 * two real frames, while Pigeonhole operations and local requests are
 * pending (the injection goes right before the first reply they get, so
 * every one of them is still waiting).
 *
 * - A stream that cannot be trusted any more (oversize prefix, garbage
 *   or truncated CBOR, a frame that is no one-variant map): the client
 *   reports a typed error in its `daemon_disconnected` event and
 *   `state.lastError`, resets the connection, reconnects, and every
 *   pending request completes exactly once.
 * - One message that is valid CBOR but breaks its variant's schema (wrong
 *   field types, sizes, ranges): only that message is bad. It is reported
 *   on `events$` as `invalid_message` (a `MalformedMessageError`), the
 *   request it answers fails with that error, and nothing is reset.
 * - Input that is harmless (an unknown variant, a reply nobody waits for,
 *   a duplicate reply): surfaced or absorbed, without a reset.
 */
import { Encoder } from 'cbor-x';
import { firstValueFrom } from 'rxjs';
import {
  FrameTooLargeError,
  MalformedMessageError,
  ProtocolError,
  encodeDaemonMessage,
  encodeFrame,
  ThinClient,
  type ClientEvent,
} from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { lostBoxOps, planBoxOps, startBoxOps } from './support/box-workload.js';
import { fastReconnect, nextReconnect, startFaultSim, watchdog, withProxiedClient, type ProxiedEnv } from './support/fault-env.js';
import { FaultProxy, type FrameHook, type ProxyFrame } from './support/fault-proxy.js';
import { faultSettings } from './support/fault-settings.js';
import { OpLedger, describeProblems } from './support/op-ledger.js';

/** cbor-x as the daemon's encoder would write (plain byte strings, no tags). */
const cbor = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, pack: false });
const frame = (body: Uint8Array | readonly number[]): Uint8Array => encodeFrame(Uint8Array.from(body));
const cborFrame = (value: unknown): Uint8Array => frame(cbor.encode(value));
const prefix = (length: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, length, false);
  return out;
};
const randomId = (): Uint8Array => crypto.getRandomValues(new Uint8Array(16));
/** A syntactically valid reply, so only the one thing a case breaks is wrong. */
const validReplyBody = (): Uint8Array => encodeDaemonMessage({ type: 'new_keypair_reply', queryId: randomId(), errorCode: 0 });

const OPS = 8;
/** Local requests in flight alongside the Pigeonhole operations. */
const LOCAL = 4;

interface Workload {
  readonly ledger: OpLedger<Uint8Array>;
  readonly events: ClientEvent[];
  readonly lastErrors: unknown[];
  check(sim: SimulatorHandle): Promise<void>;
}

/**
 * Plans the operations, installs `hook` on the daemon→client direction,
 * then starts them. `check` waits for all of them and asserts exactly-once
 * completion with the right outcome.
 */
async function runWorkload(env: ProxiedEnv, label: string, hook: FrameHook): Promise<Workload> {
  const { client, proxy } = env;
  const plan = await planBoxOps(client, label, OPS);
  const indices = plan.slice(0, LOCAL).map((p) => p.keys.firstMessageIndex);
  const events: ClientEvent[] = [];
  const lastErrors: unknown[] = [];
  client.events$.subscribe((e) => events.push(e));
  client.state$.subscribe((s) => {
    if (s.lastError) lastErrors.push(s.lastError);
  });
  proxy.setHook('toClient', hook);
  const ledger = new OpLedger<Uint8Array>();
  startBoxOps(ledger, client, plan);
  indices.forEach((index, i) => ledger.start(`next_message_box_index #${i}`, client.nextMessageBoxIndex(index)));
  return {
    ledger,
    events,
    lastErrors,
    async check(sim) {
      const report = await ledger.settle(faultSettings.watchdogMs);
      expect(describeProblems(report)).toBe('');
      expect(report.succeeded).toBe(OPS + LOCAL);
      expect(lostBoxOps(sim, plan, report)).toBe(0);
      expect(client.pendingRequestCount).toBe(0);
    },
  };
}

/**
 * A hook that puts `bad()` in front of the first reply it sees (so every
 * request started with it is still pending), once; `fired()` tells whether it did.
 */
function beforeFirstReply(bad: () => readonly Uint8Array[]): FrameHook & { fired(): boolean } {
  let done = false;
  const hook = (f: ProxyFrame) => {
    if (done || !f.kind.endsWith('_reply')) return undefined;
    done = true;
    return { send: [...bad(), encodeFrame(f.body)] };
  };
  return Object.assign(hook, { fired: () => done });
}

interface ResetCase {
  readonly name: string;
  readonly bytes: () => Uint8Array;
  readonly error: new (...args: never[]) => Error;
}

const resetCases: ResetCase[] = [
  { name: 'a length prefix of 4 GiB', bytes: () => prefix(0xffff_ffff), error: FrameTooLargeError },
  { name: 'a length prefix one byte over 40 MiB', bytes: () => prefix(40 * 1024 * 1024 + 1), error: FrameTooLargeError },
  { name: 'garbage that is not CBOR', bytes: () => frame([0xff, 0xfe, 0xfd, 0x1c]), error: ProtocolError },
  { name: 'an empty frame', bytes: () => frame([]), error: ProtocolError },
  { name: 'a complete frame whose CBOR is cut short', bytes: () => frame(validReplyBody().subarray(0, 40)), error: ProtocolError },
  { name: 'bytes after the CBOR value', bytes: () => frame([...validReplyBody(), 0x00]), error: ProtocolError },
  { name: 'a CBOR array instead of a map', bytes: () => cborFrame([1, 2, 3]), error: ProtocolError },
  { name: 'two variants in one frame', bytes: () => cborFrame({ shutdown_event: {}, new_keypair_reply: { query_id: randomId() } }), error: ProtocolError },
  { name: 'every variant null', bytes: () => cborFrame({ shutdown_event: null, new_keypair_reply: null }), error: ProtocolError },
  { name: 'CBOR nested 100 000 deep', bytes: () => frame(new Uint8Array(100_000).fill(0x81)), error: ProtocolError },
];

interface SchemaCase {
  readonly name: string;
  readonly bytes: () => Uint8Array;
  /** The variant the `MalformedMessageError` names. */
  readonly kind: string;
}

/** Valid CBOR, a known variant, a body that breaks its schema: one bad message, not a bad stream. */
const schemaCases: SchemaCase[] = [
  { name: 'a text query id', bytes: () => cborFrame({ new_keypair_reply: { query_id: 'not bytes', error_code: 0 } }), kind: 'new_keypair_reply' },
  { name: 'a 5-byte query id', bytes: () => cborFrame({ new_keypair_reply: { query_id: new Uint8Array(5), error_code: 0 } }), kind: 'new_keypair_reply' },
  { name: 'an error code over 255', bytes: () => cborFrame({ new_keypair_reply: { query_id: randomId(), error_code: 300 } }), kind: 'new_keypair_reply' },
  { name: 'a negative error code', bytes: () => cborFrame({ new_keypair_reply: { query_id: randomId(), error_code: -1 } }), kind: 'new_keypair_reply' },
  { name: 'a variant body that is not a map', bytes: () => cborFrame({ new_keypair_reply: 7 }), kind: 'new_keypair_reply' },
  { name: 'a string where a boolean belongs', bytes: () => cborFrame({ connection_status_event: { is_connected: 'yes' } }), kind: 'connection_status_event' },
];

describe('fault injection: malformed frames from the daemon reset the connection', () => {
  it.each(resetCases)(
    '$name: typed error, reset, reconnect, every pending request completes exactly once',
    ({ name, bytes, error }) =>
      withProxiedClient(`hostile-${name}`, async (env) => {
        const { sim, proxy, client } = env;
        const back = nextReconnect(client);
        const hook = beforeFirstReply(() => [bytes()]);
        const work = await runWorkload(env, 'hostile', hook);
        const dog = watchdog(faultSettings.watchdogMs, () => `no reconnect after ${name}`);
        const { event, state } = await Promise.race([back, dog.promise]);
        dog.cancel();
        expect(event.error).toBeInstanceOf(error);
        expect(event.isGraceful).toBe(false);
        expect(event.willReconnect).toBe(true);
        expect(work.lastErrors[0]).toBe(event.error);
        expect(state.daemon).toBe('connected');
        expect(state.resumed).toBe(true); // same daemon: the session survived the reset
        expect(proxy.connectionCount).toBe(2);
        await work.check(sim);
        expect(hook.fired()).toBe(true);
      }),
    faultSettings.testTimeoutMs,
  );
});

describe('fault injection: a message that breaks its schema is reported, not a reason to reset', () => {
  it.each(schemaCases)(
    '$name: an invalid_message event, no reset, every pending request completes exactly once',
    ({ name, bytes, kind }) =>
      withProxiedClient(`schema-${name}`, async (env) => {
        const hook = beforeFirstReply(() => [bytes()]);
        const work = await runWorkload(env, 'schema', hook);
        await work.check(env.sim);
        expect(hook.fired()).toBe(true);
        const invalid = work.events.filter((e) => e.type === 'invalid_message');
        expect(invalid).toHaveLength(1);
        expect(invalid[0]).toEqual({ type: 'invalid_message', error: expect.any(MalformedMessageError) });
        expect(invalid[0]?.type === 'invalid_message' && invalid[0].error.kind).toBe(kind);
        expectNoReset(env.client, env.proxy, work.events);
      }),
    faultSettings.testTimeoutMs,
  );

  it('the request whose reply is malformed fails with MalformedMessageError; the others complete', () =>
    withProxiedClient('schema-pending-id', async (env) => {
      const { client, proxy } = env;
      const { firstMessageIndex } = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(4)));
      // Its reply, on the way back, gets an error code out of range (the query id stays readable).
      proxy.setHook('toClient', (f) => {
        if (f.kind !== 'next_message_box_index_reply') return undefined;
        return { send: [cborFrame({ next_message_box_index_reply: { query_id: f.queryId, error_code: 300 } })] };
      });
      const events: ClientEvent[] = [];
      client.events$.subscribe((e) => events.push(e));
      const ledger = new OpLedger((error) => error instanceof MalformedMessageError);
      ledger.start('next_message_box_index', client.nextMessageBoxIndex(firstMessageIndex));
      ledger.start('new_keypair', client.newKeypair(new Uint8Array(32).fill(5)));
      const report = await ledger.settle(faultSettings.watchdogMs);
      expect(describeProblems(report)).toBe('');
      expect([report.acceptableErrors, report.succeeded]).toEqual([1, 1]);
      expect(events.filter((e) => e.type === 'invalid_message')).toHaveLength(1);
      expectNoReset(client, proxy, events);
      expect(client.pendingRequestCount).toBe(0);
    }), faultSettings.testTimeoutMs);
});

describe('fault injection: malformed frames inside the handshake', () => {
  it('first connection: ThinClient.connect rejects with the typed error instead of hanging', async () => {
    const sim = await startFaultSim('hostile-first-handshake');
    const proxy = await FaultProxy.start(sim.address);
    proxy.setHook('toClient', (f) => (f.index === 0 ? { send: [frame([0xff, 0x00]), encodeFrame(f.body)] } : undefined));
    try {
      await expect(ThinClient.connect(proxy.config, fastReconnect)).rejects.toBeInstanceOf(ProtocolError);
    } finally {
      await proxy.stop();
      await sim.close();
    }
  });

  it(
    'a reconnect: that attempt fails with the typed error in state.lastError, the next one succeeds, pending requests complete once',
    () =>
      withProxiedClient('hostile-reconnect-handshake', async (env) => {
        const { sim, proxy, client } = env;
        // Garbage before the greeting of the second connection only.
        const work = await runWorkload(env, 'handshake', (f) =>
          f.connection === 2 && f.index === 0 ? { send: [cborFrame([1, 2]), encodeFrame(f.body)] } : undefined,
        );
        const back = nextReconnect(client);
        proxy.dropAll();
        const { state } = await back;
        expect(state.daemon).toBe('connected');
        expect(work.lastErrors.some((e) => e instanceof ProtocolError)).toBe(true);
        expect(proxy.connectionCount).toBe(3);
        await work.check(sim);
      }),
    faultSettings.testTimeoutMs,
  );
});

/** No `daemon_disconnected`, one connection: the stream was never reset. */
function expectNoReset(client: ThinClient, proxy: FaultProxy, events: readonly ClientEvent[]): void {
  expect(events.filter((e) => e.type === 'daemon_disconnected')).toEqual([]);
  expect(proxy.connectionCount).toBe(1);
  expect(client.state.daemon).toBe('connected');
}

describe('fault injection: harmless surprises are absorbed without a reset', () => {
  it('an unknown variant surfaces as an unknown_message event', () =>
    withProxiedClient('hostile-unknown-variant', async (env) => {
      const unknown = cborFrame({ shutdown_event: null, future_thing_event: { level: 3 }, new_keypair_reply: null });
      const hook = beforeFirstReply(() => [unknown]);
      const work = await runWorkload(env, 'unknown', hook);
      await work.check(env.sim);
      expect(hook.fired()).toBe(true);
      expect(work.events.filter((e) => e.type === 'unknown_message')).toEqual([{ type: 'unknown_message', keys: ['future_thing_event'] }]);
      expectNoReset(env.client, env.proxy, work.events);
    }), faultSettings.testTimeoutMs);

  it('replies for query ids nobody asked for are absorbed', () =>
    withProxiedClient('hostile-unknown-id', async (env) => {
      const strays = () =>
        [
          encodeDaemonMessage({ type: 'new_keypair_reply', queryId: randomId(), errorCode: 0 }),
          encodeDaemonMessage({ type: 'start_resending_encrypted_message_reply', queryId: randomId(), errorCode: 0, plaintext: new Uint8Array([1, 2, 3]) }),
          encodeDaemonMessage({ type: 'cancel_resending_encrypted_message_reply', queryId: randomId(), errorCode: 0 }),
          encodeDaemonMessage({ type: 'next_message_box_index_reply', queryId: randomId(), errorCode: 0 }),
        ].map((body) => encodeFrame(body));
      const hook = beforeFirstReply(strays);
      const work = await runWorkload(env, 'unknown-id', hook);
      await work.check(env.sim);
      expect(hook.fired()).toBe(true);
      expectNoReset(env.client, env.proxy, work.events);
    }), faultSettings.testTimeoutMs);

  it('replies of the wrong kind for a pending query id are absorbed; the request still gets its own reply', () =>
    withProxiedClient('hostile-wrong-kind', async (env) => {
      // Learn the query id of the first start_resending request on its way to the daemon…
      let pendingId: Uint8Array | null = null;
      env.proxy.setHook('toDaemon', (f) => {
        if (pendingId === null && f.kind === 'start_resending_encrypted_message') pendingId = f.queryId;
        return undefined;
      });
      // …and put replies of other kinds carrying it in front of the next reply (its own reply cannot have come yet).
      let injected = false;
      const work = await runWorkload(env, 'wrong-kind', (f) => {
        if (injected || pendingId === null || !f.kind.endsWith('_reply')) return undefined;
        injected = true;
        const wrong = encodeDaemonMessage({ type: 'new_keypair_reply', queryId: pendingId, errorCode: 0 });
        const cancel = encodeDaemonMessage({ type: 'cancel_resending_encrypted_message_reply', queryId: pendingId, errorCode: 0 });
        return { send: [encodeFrame(wrong), encodeFrame(cancel), encodeFrame(f.body)] };
      });
      await work.check(env.sim);
      expect(injected).toBe(true);
      expectNoReset(env.client, env.proxy, work.events);
    }), faultSettings.testTimeoutMs);

  it('every reply delivered twice: each request completes exactly once', () =>
    withProxiedClient('hostile-duplicates', async (env) => {
      let duplicated = 0;
      const work = await runWorkload(env, 'dup', (f) => {
        if (!f.kind.endsWith('_reply')) return undefined;
        duplicated += 1;
        return { send: [encodeFrame(f.body), encodeFrame(f.body)] };
      });
      await work.check(env.sim);
      expect(duplicated).toBeGreaterThanOrEqual(OPS + LOCAL);
      expectNoReset(env.client, env.proxy, work.events);
    }), faultSettings.testTimeoutMs);
});
