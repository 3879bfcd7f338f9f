/**
 * P4: 1,000,000 local requests (64 in flight) through one client, against
 * the simulator in its own process. The JS heap is measured after forced
 * collections (`--expose-gc`, `global.gc()`) before and after the million;
 * it must grow by less than 5 MB, and the pending-request table must be
 * empty afterwards (`client.pendingRequestCount`). A warm-up comes first so
 * that JIT code, the correlation map's capacity and cbor-x's buffers are
 * already in the "before" heap.
 */
import { ThinClient } from 'katzenpost-rx';
import { benchIndex } from './p1-pipelined-requests.js';
import { atMost, skipped, type Figure } from './support/figure.js';
import { startSimProcess } from './support/sim-process.js';
import { num, perSecond, runWindowed } from './support/stats.js';

const MB = 1024 * 1024;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  // Twice: the first pass may leave work (weak references, finalizers) to the second.
  gc();
  gc();
}

export async function runP4(options: { readonly requests: number; readonly log: (line: string) => void }): Promise<Figure[]> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    const reason = 'run node with --expose-gc (npm run bench does)';
    return [skipped('P4', 'heap growth over 1,000,000 requests', '< 5 MB', reason), skipped('P4', 'pending requests afterwards', '≤ 0', reason)];
  }
  const sim = await startSimProcess({ seed: 'bench-p4', autoAdvanceEpochs: false });
  const client = await ThinClient.connect({ dial: { tcp: { address: sim.address } } });
  try {
    const index = await benchIndex(client);
    const request = (done: (error?: Error) => void) =>
      client.nextMessageBoxIndex(index).subscribe({ error: (error: Error) => done(error), complete: () => done() });
    await runWindowed(50_000, 64, request);
    collect();
    const before = process.memoryUsage();
    const ms = await runWindowed(options.requests, 64, request);
    collect();
    const after = process.memoryUsage();
    const pending = client.pendingRequestCount;
    const growth = (after.heapUsed - before.heapUsed) / MB;
    const external = (after.external - before.external) / MB;
    options.log(`P4 ${num(options.requests)} requests in ${num(ms / 1000, 1)} s; heapUsed ${num(before.heapUsed / MB, 2)} → ${num(after.heapUsed / MB, 2)} MB`);
    const what = `heap growth over ${num(options.requests)} requests (64 in flight)`;
    return [
      atMost('P4', what, growth, 5, ' MB', `heapUsed after gc: ${num(before.heapUsed / MB, 2)} MB before, ${num(after.heapUsed / MB, 2)} MB after; external ${external >= 0 ? '+' : ''}${num(external, 2)} MB; ${num(perSecond(options.requests, ms))} req/s`, 2, true),
      atMost('P4', 'pending requests afterwards (client.pendingRequestCount)', pending, 0, '', `${pending} entries in the correlation table after the last reply`, 0),
    ];
  } finally {
    await client.close();
    await sim.close();
  }
}
