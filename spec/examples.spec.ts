/**
 * Every example's `main()` against a simulator (a thousandth of mixnet
 * time), checking what it returns: the examples are documentation that
 * must keep working.
 */
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { main as aliceAndBob } from '../examples/alice-and-bob.js';
import { main as atomicCopy } from '../examples/atomic-copy.js';
import { main as contactExchange } from '../examples/contact-exchange.js';
import { main as echoPing } from '../examples/echo-ping.js';
import { main as followChannel } from '../examples/follow-channel.js';
import { main as streamFile } from '../examples/stream-file.js';
import { startSpecSimulator } from './support/spec-simulator.js';

describe('examples', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    // echo-ping at a hundredth of mixnet time: at a thousandth the daemon's 4.5 s SURB slack is
    // 4.5 ms real, within timer jitter (see spec/howto/echo-service.spec.ts).
    const echo = expect.getState().currentTestName?.includes('echo-ping') ?? false;
    sim = await startSpecSimulator({
      realTime: 'the examples run as users run them; only their results are asserted',
      timeScale: echo ? 0.01 : 0.001,
      seed: expect.getState().currentTestName ?? 'examples',
    });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('alice-and-bob: Bob reads what Alice wrote', async () => {
    await expect(aliceAndBob(sim.config)).resolves.toBe('hello from Alice');
    expect(sim.stats().boxes).toBe(1);
  });

  it('echo-ping: the echo service echoes', async () => {
    const result = await echoPing(sim.config);
    expect(result.echoed).toBe('ping');
    expect(result.roundTripMs).toBeGreaterThanOrEqual(0);
  });

  it('stream-file: a large payload comes back identical', async () => {
    const payload = Uint8Array.from({ length: 30_000 }, (_, i) => (i * 13) & 0xff);
    const result = await streamFile(sim.config, payload);
    const boxSize = sim.geometry.pigeonhole.maxPlaintextPayloadLength;
    expect(result).toEqual({ bytes: payload.length, boxes: Math.ceil((payload.length + 4) / boxSize), identical: true });
    expect(sim.stats().boxes).toBe(result.boxes);
  });

  it('follow-channel: the follower folds posts and a tombstone into its feed', async () => {
    const feed = await followChannel(sim.config);
    expect(feed.posts).toEqual(['hello', 'anyone here?', 'bye']);
    expect(feed.deleted).toBe(1);
    expect(feed.position).toMatch(/^[0-9a-f]{208}$/);
  });

  it('atomic-copy: both channels get their payloads', async () => {
    const result = await atomicCopy(sim.config);
    expect(result.bob).toBe('Meet at noon.');
    expect(result.alice).toBe('Meet at noon. '.repeat(200));
  });

  it('contact-exchange: Alice and Bob become contacts through an invite string, then each reads the other', async () => {
    await expect(contactExchange(sim.config)).resolves.toEqual({ alice: 'Bob', bob: 'Alice', aliceRead: 'Hi Alice, loud and clear.', bobRead: 'Hi Bob, it worked!' });
  });
});
