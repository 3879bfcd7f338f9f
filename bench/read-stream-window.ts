/**
 * P3: does `readStream$` keep its window full? On the simulator with a
 * fixed latency L per mixnet operation, reading 64 boxes with window 8
 * should take about 8 round trips — the first box alone (its header says
 * how many follow), then 63 boxes 8 at a time: 9·L, ratio 1.125 to 8·L —
 * so wall / (8·L) ≤ 1.25 is the target. A one-box-at-a-time loop is timed
 * beside it (≈ 64·L, ratio ≈ 8).
 *
 * Each figure is also given against the *measured* latency of one read on
 * the same simulator (L + its timer lateness, ~2–3 ms), which is what the
 * window can at best overlap. Two values of L: the fixed per-operation
 * costs (local requests, timers) weigh more at the smaller one.
 *
 *   npx tsx bench/read-stream-window.ts
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ThinClient, type KeypairResult } from 'katzenpost-rx';
import { startSimulator } from 'katzenpost-rx/sim';

const BOXES = 64;
const WINDOW = 8;
const TARGET = 1.25;
/** Simulated ms per operation, and real ms per simulated ms: L = 20 ms and 50 ms of wall clock. */
const SETTINGS = [
  { latencySimMs: 200, timeScale: 0.1 },
  { latencySimMs: 500, timeScale: 0.1 },
] as const;
const WINDOWED_RUNS = 5;
const SEQUENTIAL_RUNS = 3;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => value.toFixed(1);

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
  const done = await lastValueFrom(client.writeStream(channel.writeCap, channel.firstMessageIndex, payload, { window: BOXES }));
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

async function bench(latencySimMs: number, timeScale: number): Promise<void> {
  const L = latencySimMs * timeScale;
  const sim = await startSimulator({ timeScale, fixedLatencyMs: latencySimMs, seed: `bench-p3-${latencySimMs}`, autoAdvanceEpochs: false });
  const client = await ThinClient.connect(sim.config);
  try {
    // Warm-up (JIT), not counted.
    const warm = await filledChannel(client);
    await readWindowed(client, warm.channel, warm.length);
    const single = [];
    for (let i = 0; i < 5; i++) single.push(await timed(() => firstValueFrom(client.read(warm.channel.readCap, warm.channel.firstMessageIndex))));

    const windowed: number[] = [];
    const sequential: number[] = [];
    for (let run = 0; run < WINDOWED_RUNS; run++) {
      const { channel, length } = await filledChannel(client);
      windowed.push(await timed(() => readWindowed(client, channel, length)));
      if (run < SEQUENTIAL_RUNS) sequential.push(await timed(() => readOneByOne(client, channel)));
    }

    const oneRead = median(single);
    const ratio = median(windowed) / (WINDOW * L);
    const met = ratio <= TARGET;
    const sequentialRatio = median(sequential) / (WINDOW * L);
    const tag = `L=${ms(L)}ms`;
    console.log(
      `P3 readStream$ ${BOXES} boxes W=${WINDOW} ${tag}: wall=${ms(median(windowed))} ms ratio=${ratio.toFixed(2)} (target ≤ ${TARGET}) ${met ? 'MET' : 'NOT MET'}; sequential loop ratio=${sequentialRatio.toFixed(1)}`,
    );
    console.log(
      `P3 ${tag} against the measured one-read latency (${ms(oneRead)} ms): readStream$ ratio=${(median(windowed) / (WINDOW * oneRead)).toFixed(2)}, sequential ratio=${(median(sequential) / (WINDOW * oneRead)).toFixed(2)}; floor 9/8=1.125`,
    );
    console.log(`P3 ${tag} one-box-at-a-time loop: wall=${ms(median(sequential))} ms (${ms(median(sequential) / BOXES)} ms/box)`);
    console.log(`P3 ${tag} raw readStream$ ms: ${windowed.map(ms).join(', ')}; raw sequential ms: ${sequential.map(ms).join(', ')}; raw one-read ms: ${single.map(ms).join(', ')}`);
  } finally {
    await client.close();
    await sim.close();
  }
}

async function main(): Promise<void> {
  // A report, not a gate: the exit code is non-zero only if a run fails outright.
  for (const { latencySimMs, timeScale } of SETTINGS) await bench(latencySimMs, timeScale);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
