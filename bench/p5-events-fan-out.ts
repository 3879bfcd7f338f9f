/**
 * P5: `events$` fan-out to 100 subscribers. Daemon frames (small
 * `message_reply_event`s, as a busy client sees them) are pushed in 64 KiB
 * chunks, as a socket delivers them, through an in-memory daemon (so only
 * the SDK is timed: framing, decoding, routing and the multicast to 100
 * subscribers). Events/s = events emitted on `events$` (each reaching all
 * 100 subscribers) per second of wall time. Target ≥ 100,000 events/s.
 */
import { ThinClient } from 'katzenpost-rx';
import { atLeast, type Figure } from './support/figure.js';
import { daemonFrame, MEMORY_DIAL, MemoryDaemon } from './support/memory-daemon.js';
import { median, num, perSecond } from './support/stats.js';

const SUBSCRIBERS = 100;
const CHUNK_BYTES = 64 * 1024;

export async function runP5(options: { readonly events: number; readonly runs: number; readonly log: (line: string) => void }): Promise<Figure[]> {
  const daemon = new MemoryDaemon();
  const client = await ThinClient.connect(MEMORY_DIAL, daemon.clientOptions());
  // Each subscriber does a little work per event, as an application would.
  const seen = new Array<number>(SUBSCRIBERS).fill(0);
  for (let i = 0; i < SUBSCRIBERS; i++) {
    client.events$.subscribe((event) => {
      if (event.type === 'message_reply_event') seen[i]! += event.payload?.length ?? 0;
    });
  }
  // Distinct SURB ids and payloads, framed once; replayed as 64 KiB chunks.
  const frames = Array.from({ length: 256 }, (_, i) =>
    daemonFrame({ type: 'message_reply_event', surbId: crypto.getRandomValues(new Uint8Array(16)), payload: new Uint8Array(64).fill(i), errorCode: 0 }),
  );
  const frameBytes = frames[0]!.length;
  const perChunk = Math.floor(CHUNK_BYTES / frameBytes);
  const chunk = new Uint8Array(perChunk * frameBytes);
  for (let i = 0; i < perChunk; i++) chunk.set(frames[i % frames.length]!, i * frameBytes);
  const chunksPerRun = Math.ceil(options.events / perChunk);
  const eventsPerRun = chunksPerRun * perChunk;

  const runOnce = (): number => {
    const first = seen[SUBSCRIBERS - 1]!;
    const started = performance.now();
    // A fresh buffer per chunk, as sockets hand out (the SDK may keep views of it).
    for (let c = 0; c < chunksPerRun; c++) daemon.push(chunk.slice());
    const elapsed = performance.now() - started;
    if (seen[SUBSCRIBERS - 1]! - first !== eventsPerRun * 64) throw new Error('P5: the last subscriber missed events');
    return elapsed;
  };
  runOnce(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < options.runs; r++) rates.push(perSecond(eventsPerRun, runOnce()));
  await client.close();
  const rate = median(rates);
  options.log(`P5 events/s: ${rates.map((r) => num(r)).join(', ')}`);
  return [
    atLeast('P5', `events$ fan-out to ${SUBSCRIBERS} subscribers (events/s, each to all)`, rate, 100_000, '', `${num(rate)} events/s = ${num(rate * SUBSCRIBERS)} deliveries/s; ${num(eventsPerRun)} events of ${frameBytes} bytes per run, in 64 KiB chunks; median of ${options.runs} (runs: ${rates.map((r) => num(r)).join(', ')})`, 0),
  ];
}
