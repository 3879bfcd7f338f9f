/**
 * kpclientd's CPU work, as measured on a real network (README "The daemon
 * simulator"): each encrypt_write / encrypt_read takes seconds of CTIDH
 * work, inline on the connection's reader — the next request of that
 * connection is read only after it — and read replies are decrypted one at
 * a time. Driven by a ManualSimClock: no wall-clock timing.
 */
import { ManualSimClock, type SimulatorHandle } from '../../src/sim/index.js';
import { DaemonCpu } from '../../src/sim/daemon-cpu.js';
import { LatencyModel } from '../../src/sim/latency-model.js';
import { SimRandom } from '../../src/sim/sim-random.js';
import { connectSession, id16, type RawClient } from './support/raw-client.js';
import { waitFor } from './support/wait-for.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

let sim: SimulatorHandle | undefined;
let client: RawClient | undefined;

afterEach(async () => {
  client?.destroy();
  await sim?.close();
});

describe('the daemon CPU model', () => {
  it('draws each encryption around its measured median, and nothing in fixed-latency mode', () => {
    const model = new LatencyModel(new SimRandom('cpu'), { encryptWriteMs: 1000, encryptReadMs: 2000, replyDecryptMs: 500 }, 1);
    for (let i = 0; i < 100; i++) {
      expect(model.localWork('encrypt_write')).toBeGreaterThanOrEqual(700);
      expect(model.localWork('encrypt_write')).toBeLessThanOrEqual(1300);
      expect(model.localWork('encrypt_read')).toBeGreaterThanOrEqual(1400);
      expect(model.replyDecrypt()).toBeLessThanOrEqual(650);
    }
    expect(model.localWork('next_message_box_index')).toBe(0);
    const fixed = new LatencyModel(new SimRandom('cpu'), {}, 1, 100);
    expect(fixed.localWork('encrypt_write')).toBe(0);
    expect(fixed.replyDecrypt()).toBe(0);
  });

  it('runs CPU work on its cores: as many jobs at once as it has cores, the next on the first core free', () => {
    const cpu = new DaemonCpu(2);
    expect([cpu.schedule(0, 3000), cpu.schedule(0, 3000), cpu.schedule(0, 3000)]).toEqual([3000, 3000, 6000]);
    // A job ready later than a core frees starts when it is ready.
    expect(cpu.schedule(10_000, 1000)).toBe(11_000);
    expect(cpu.busyMs).toBe(10_000);
    const one = new DaemonCpu(1);
    expect([one.schedule(0, 1000), one.schedule(0, 1000)]).toEqual([1000, 2000]);
    expect(() => new LatencyModel(new SimRandom('cpu'), { daemonCores: 0 }, 1)).toThrow('latency.daemonCores');
  });

  it('keeps the connection reader busy during an encryption: a request sent after it is answered after it', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ clock, seed: 'cpu', latency: { encryptWriteMs: 3000 } });
    ({ client } = await connectSession(sim.address));
    client.send({ type: 'new_keypair', queryId: id16(1), seed: new Uint8Array(32).fill(1) });
    const keys = await client.nextOf('new_keypair_reply');
    const started = clock.now();
    const timers = clock.pendingTimers;
    client.send({ type: 'encrypt_write', queryId: id16(2), plaintext: new Uint8Array(10), writeCap: keys.writeCap, messageBoxIndex: keys.firstMessageIndex });
    client.send({ type: 'next_message_box_index', queryId: id16(3), messageBoxIndex: keys.firstMessageIndex });
    // The encryption is running (its timer is armed); nothing is answered before it is done,
    // not even the cheap request behind it — the second frame has not even been read.
    await waitFor(() => clock.pendingTimers === timers + 1, 'the daemon to start encrypting');
    clock.advance(2000); // before the shortest draw (0.7 × 3000)
    expect(client.pending()).toEqual([]);
    expect(clock.pendingTimers).toBe(timers + 1);
    clock.advance(2000); // past the longest draw (1.3 × 3000)
    const first = await client.next();
    const second = await client.next();
    expect([first.message.type, second.message.type]).toEqual(['encrypt_write_reply', 'next_message_box_index_reply']);
    expect(clock.now() - started).toBe(4000);
  });
});
