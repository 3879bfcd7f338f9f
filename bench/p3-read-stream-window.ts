/**
 * P3: does `readStream$` keep its window full? Reading N = 64 boxes with
 * window W = 8 should take about ⌈N/W⌉·L, L being the latency of one box
 * read: the figure is wall / (⌈N/W⌉·L), target ≤ 1.25. The first box is
 * read alone (its header says how many follow), so the floor is
 * (1 + ⌈(N−1)/W⌉)/⌈N/W⌉ = 9/8 = 1.125. Beside it, the one-box-at-a-time
 * loop of the upstream clients' examples (read, next index, read …) ≈ N·L.
 *
 * L is measured, in the same run: the median time of one `client.read()`
 * (its `encrypt_read` plus the mixnet round trip) on the same simulator.
 * The simulator's configured network latency (`fixedLatencyMs`) is only the
 * round trip; each read also pays the simulator's local work and timer
 * granularity (≈ 4–5 ms here), which no window can remove — the raw
 * numbers give the ratio against the configured latency too.
 *
 * The simulator runs in a child process (`sim-process.ts`): its timers
 * then fire on time whatever the client is doing. Two values of the
 * network latency: 20 and 100 ms of wall clock.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ThinClient, type KeypairResult } from 'katzenpost-rx';
import { atMost, type Figure } from './support/figure.js';
import { startSimProcess } from './support/sim-process.js';
import { median, num } from './support/stats.js';

const BOXES = 64;
const WINDOW = 8;
const TARGET = 1.25;
/** Simulated ms per operation, and real ms per simulated ms: 20 ms and 100 ms of wall clock. */
const SETTINGS = [
  { latencySimMs: 200, timeScale: 0.1 },
  { latencySimMs: 1000, timeScale: 0.1 },
] as const;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** A fresh channel holding a framed payload of exactly `BOXES` boxes (fresh: couriers cache replies per envelope). */
async function filledChannel(client: ThinClient): Promise<{ channel: KeypairResult; length: number }> {
  const channel = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
  const length = BOXES * client.pigeonholeGeometry().maxPlaintextPayloadLength - 4;
  const payload = Uint8Array.from({ length }, (_, i) => i & 0xff);
  const done = await lastValueFrom(client.writeStream$(channel.writeCap, channel.firstMessageIndex, payload, { window: BOXES }));
  if (done.totalBoxes !== BOXES) throw new Error(`expected ${BOXES} boxes, wrote ${done.totalBoxes}`);
  return { channel, length };
}

async function readWindowed(client: ThinClient, channel: KeypairResult, length: number): Promise<void> {
  const chunks = await lastValueFrom(client.readStream$(channel.readCap, channel.firstMessageIndex, { window: WINDOW }).pipe(toArray()));
  const got = chunks.reduce((n, c) => n + c.length, 0);
  if (chunks.length !== BOXES || got !== length) throw new Error(`readStream$ returned ${chunks.length} chunks, ${got} bytes`);
}

async function readOneByOne(client: ThinClient, channel: KeypairResult): Promise<void> {
  let index = channel.firstMessageIndex;
  for (let i = 0; i < BOXES; i++) {
    await firstValueFrom(client.read(channel.readCap, index));
    index = await firstValueFrom(client.nextMessageBoxIndex(index));
  }
}

export async function runP3(options: { readonly windowedRuns: number; readonly sequentialRuns: number; readonly log: (line: string) => void }): Promise<Figure[]> {
  const figures: Figure[] = [];
  const roundTrips = Math.ceil(BOXES / WINDOW);
  for (const { latencySimMs, timeScale } of SETTINGS) {
    const configured = latencySimMs * timeScale;
    const sim = await startSimProcess({ timeScale, fixedLatencyMs: latencySimMs, seed: `bench-p3-${latencySimMs}`, autoAdvanceEpochs: false });
    const client = await ThinClient.connect({ dial: { tcp: { address: sim.address } } });
    try {
      // Warm-up (JIT), not counted; then L, the latency of one read.
      const warm = await filledChannel(client);
      await readWindowed(client, warm.channel, warm.length);
      const single: number[] = [];
      for (let i = 0; i < 9; i++) single.push(await timed(() => firstValueFrom(client.read(warm.channel.readCap, warm.channel.firstMessageIndex))));

      const windowed: number[] = [];
      const sequential: number[] = [];
      for (let run = 0; run < options.windowedRuns; run++) {
        const { channel, length } = await filledChannel(client);
        windowed.push(await timed(() => readWindowed(client, channel, length)));
        if (run < options.sequentialRuns) sequential.push(await timed(() => readOneByOne(client, channel)));
      }
      const wall = median(windowed);
      const L = median(single);
      const ideal = roundTrips * L;
      const network = roundTrips * configured;
      const ms = (values: number[]) => values.map((v) => num(v, 1)).join(', ');
      options.log(`P3 network ${configured} ms: readStream$ ${ms(windowed)} ms; one-by-one ${ms(sequential)} ms; one read ${ms(single)} ms`);
      figures.push(
        atMost(
          'P3',
          `readStream$ ${BOXES} boxes, window ${WINDOW}, network latency ${num(configured)} ms: wall / (⌈N/W⌉·L)`,
          wall / ideal,
          TARGET,
          '',
          `wall ${num(wall, 1)} ms; L = one read measured ${num(L, 1)} ms, ⌈${BOXES}/${WINDOW}⌉·L = ${num(ideal, 1)} ms (floor 9/8 = 1.125: the first box is read alone); ` +
            `against the configured network latency alone: ${num(wall / network, 2)}; ` +
            `one-box-at-a-time loop ${num(median(sequential), 1)} ms = ${num(median(sequential) / ideal, 2)}× ⌈N/W⌉·L (${num(median(sequential) / BOXES, 1)} ms/box); ` +
            `medians of ${options.windowedRuns}, ${options.sequentialRuns} and ${single.length}`,
        ),
      );
    } finally {
      await client.close();
      await sim.close();
    }
  }
  return figures;
}
