/**
 * P1 and Peers: pipelined local requests (`next_message_box_index`, answered
 * by the daemon without mixnet traffic) with 1 and 64 in flight, on one
 * daemon, by every contender in the same rounds:
 *
 * - SDK: `client.nextMessageBoxIndex(index).subscribe(…)`;
 * - raw loop: `bench/support/raw-client.ts` (socket + cbor-x + a Map);
 * - Python / Go: the upstream thin clients in their own processes
 *   (`bench/peers/`), each with 1 or 64 concurrent callers.
 *
 * Each contender has its own connection. Every round runs each contender
 * once (the order reverses between rounds); a run lasts about
 * `secondsPerRun` (the count is calibrated per contender in a warm-up, so
 * slow and fast clients are measured over similar times). The figure is
 * the ratio of median throughputs.
 */
import { firstValueFrom } from 'rxjs';
import { ThinClient } from 'katzenpost-rx';
import { atLeast, skipped, type Figure } from './support/figure.js';
import { RawClient } from './support/raw-client.js';
import { median, num, perSecond, runWindowed } from './support/stats.js';
import { ownCpuMicros, processCpuMicros } from './support/process-cpu.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { summarizeGoStacks } from './peers/go-stack-summary.js';
import type { PeerProcess } from './peers/peer-process.js';
import { cacheDir, repoRoot } from './support/paths.js';

/** One client under test. */
export interface Contender {
  readonly name: string;
  /** Runs `count` requests for `index` with `inFlight` outstanding; resolves wall ms. */
  run(index: Uint8Array, count: number, inFlight: number): Promise<number>;
  /** CPU time its process has used so far (µs), if known. */
  cpu(): number | undefined;
  close(): Promise<void>;
}

/** The SDK, connected to `address` (handshake time is not measured). */
export async function sdkContender(address: string): Promise<Contender & { readonly client: ThinClient }> {
  // A long handshake timeout: on the real daemon, connections queue behind each other at 30 s each.
  const client = await ThinClient.connect({ dial: { tcp: { address } } }, { handshakeTimeoutMs: 600_000, reconnect: false });
  return {
    name: 'SDK',
    client,
    cpu: ownCpuMicros,
    run: (index, count, inFlight) =>
      runWindowed(count, inFlight, (done) => {
        let ok = false;
        client.nextMessageBoxIndex(index).subscribe({
          next: (next) => (ok = next.length === index.length),
          error: (error: Error) => done(error),
          complete: () => done(ok ? undefined : new Error('SDK: unexpected reply')),
        });
      }),
    close: () => client.close(),
  };
}

/** The raw baseline loop, connected to `address`. */
export async function rawContender(address: string): Promise<Contender> {
  const raw = await RawClient.connect(address);
  return {
    name: 'raw loop',
    cpu: ownCpuMicros,
    run: (index, count, inFlight) => {
      const fields = { message_box_index: index };
      return runWindowed(count, inFlight, (done) =>
        raw.request('next_message_box_index', fields, (reply) => done(reply['error_code'] === 0 ? undefined : new Error(`raw: error code ${String(reply['error_code'])}`))),
      );
    },
    close: async () => raw.close(),
  };
}

/** A peer process (its handshake already done). */
export function peerContender(name: string, peer: PeerProcess): Contender {
  return {
    name,
    cpu: () => (peer.pid === undefined ? undefined : processCpuMicros(peer.pid)),
    run: async (index, count, inFlight) => {
      try {
        return await peer.run({ count, inFlight, index: Buffer.from(index).toString('hex') }, 15_000);
      } catch (error) {
        // A Go peer that hung printed its goroutines (SIGQUIT): keep them, and say where they were stuck.
        if (!peer.lastStderr.includes('goroutine ')) throw error;
        const file = cacheDir('bench', `${name.toLowerCase()}-peer-stacks.txt`);
        await writeFile(file, peer.lastStderr);
        const where = summarizeGoStacks(peer.lastStderr);
        throw new Error(`${error instanceof Error ? error.message : String(error)}; goroutines: ${where} (dump: ${path.relative(repoRoot(), file)})`);
      }
    },
    close: () => peer.quit(),
  };
}

/** A contender, or why it is missing. */
export type Entry = { readonly name: string; readonly contender: Contender | null; readonly reason?: string };

export interface PipelinedOptions {
  /** Where: `simulator`, `kpclientd`. */
  readonly daemon: string;
  readonly inFlight: readonly number[];
  readonly rounds: number;
  readonly secondsPerRun: number;
  /** The daemon's process id, for its CPU time per request. */
  readonly daemonPid?: number | undefined;
  readonly log: (line: string) => void;
}

/** What one contender achieved at one in-flight count (medians over the rounds). */
export interface PipelinedResult {
  /** Median throughput, req/s. */
  readonly median: number;
  /** Throughput of each run. */
  readonly rates: number[];
  /** Median CPU time of the client's process per request, µs (NaN if unknown). */
  readonly clientCpu: number;
  /** Median CPU time of the daemon per request, µs, and its busy share of wall time (1 = one core). */
  readonly daemonCpu: number;
  readonly daemonBusy: number;
  readonly error?: string;
}

/** Results per contender name and in-flight count. */
export type PipelinedResults = Map<string, Map<number, PipelinedResult>>;

/** Runs the rounds; a contender that fails is dropped from later rounds with its error recorded. */
export async function measurePipelined(entries: readonly Entry[], index: Uint8Array, options: PipelinedOptions): Promise<PipelinedResults> {
  const results: PipelinedResults = new Map();
  const live = entries.filter((e): e is Entry & { contender: Contender } => e.contender !== null);
  for (const inFlight of options.inFlight) {
    const counts = new Map<string, number>();
    const rates = new Map<string, number[]>();
    const clientCpu = new Map<string, number[]>();
    const daemonCpu = new Map<string, number[]>();
    const daemonBusy = new Map<string, number[]>();
    const errors = new Map<string, string>();
    const daemonMicros = () => (options.daemonPid === undefined ? undefined : processCpuMicros(options.daemonPid));
    // Warm-up (JIT, connection buffers) and calibration, not counted.
    for (const { name, contender } of live) {
      try {
        const warm = inFlight === 1 ? 300 : 3000;
        await contender.run(index, warm, inFlight);
        const ms = await contender.run(index, warm, inFlight);
        const count = Math.max(200, Math.min(200_000, Math.round(perSecond(warm, ms) * options.secondsPerRun)));
        counts.set(name, count);
        for (const table of [rates, clientCpu, daemonCpu, daemonBusy]) table.set(name, []);
      } catch (error) {
        errors.set(name, String(error instanceof Error ? error.message : error));
      }
    }
    for (let round = 0; round < options.rounds; round++) {
      // SDK first, then the others; reversed every other round (ABBA): a drift of the machine's speed during
      // the run then favours neither side of a comparison, and the SDK runs next to the raw loop either way.
      const order = live.filter((e) => counts.has(e.name) && !errors.has(e.name));
      if (round % 2 === 1) order.reverse();
      for (const { name, contender } of order) {
        const count = counts.get(name)!;
        try {
          const [cpu0, daemon0] = [contender.cpu(), daemonMicros()];
          const ms = await contender.run(index, count, inFlight);
          const [cpu1, daemon1] = [contender.cpu(), daemonMicros()];
          rates.get(name)!.push(perSecond(count, ms));
          if (cpu0 !== undefined && cpu1 !== undefined) clientCpu.get(name)!.push((cpu1 - cpu0) / count);
          if (daemon0 !== undefined && daemon1 !== undefined) {
            daemonCpu.get(name)!.push((daemon1 - daemon0) / count);
            daemonBusy.get(name)!.push((daemon1 - daemon0) / 1000 / ms);
          }
        } catch (error) {
          errors.set(name, String(error instanceof Error ? error.message : error));
        }
      }
    }
    for (const { name } of entries) {
      const byInFlight = results.get(name) ?? new Map();
      results.set(name, byInFlight);
      const runRates = rates.get(name) ?? [];
      const error = errors.get(name);
      byInFlight.set(inFlight, {
        median: median(runRates),
        rates: runRates,
        clientCpu: median(clientCpu.get(name) ?? []),
        daemonCpu: median(daemonCpu.get(name) ?? []),
        daemonBusy: median(daemonBusy.get(name) ?? []),
        ...(error === undefined ? {} : { error }),
      });
    }
    const summary = entries.map((e) => `${e.name} ${num(results.get(e.name)!.get(inFlight)!.median)}/s`).join(', ');
    options.log(`${options.daemon}, ${inFlight} in flight: ${summary}`);
  }
  return results;
}

/** The P1 figures (SDK / raw) and the Peers figures (SDK / Python ≥ 3, SDK / Go ≥ 1). */
export function pipelinedFigures(daemon: string, entries: readonly Entry[], results: PipelinedResults, inFlight: readonly number[]): Figure[] {
  const figures: Figure[] = [];
  const describe = (name: string, w: number) => {
    const r = results.get(name)?.get(w);
    if (!r) return `${name}: —`;
    const cpu = Number.isNaN(r.clientCpu) ? '' : `, client CPU ${num(r.clientCpu, 1)} µs/req`;
    return `${name} ${num(r.median)} req/s${cpu} (runs: ${r.rates.map((x) => num(x)).join(', ')})`;
  };
  const daemonLoad = (w: number) => {
    const r = results.get('SDK')?.get(w);
    return r && !Number.isNaN(r.daemonBusy) ? `; ${daemon} CPU ${num(r.daemonCpu, 1)} µs/req, busy ${num(r.daemonBusy * 100)}% of a core during the SDK runs` : '';
  };
  const compare = (id: string, other: string, bound: number, w: number) => {
    const what = `${daemon}, ${w} in flight: SDK / ${other} throughput`;
    const entry = entries.find((e) => e.name === other);
    if (!entry?.contender) return figures.push(skipped(id, what, `≥ ${bound}×`, entry?.reason ?? `${other} not available`));
    const sdk = results.get('SDK')?.get(w);
    const them = results.get(other)?.get(w);
    const failure = sdk?.error ?? them?.error;
    if (!sdk || !them || !(sdk.median > 0) || !(them.median > 0)) {
      return figures.push(skipped(id, what, `≥ ${bound}×`, failure ? `run failed: ${failure}` : 'no runs completed'));
    }
    // The raw loop is the least a client can do: its ratio to a peer is the ceiling on this daemon.
    const raw = results.get('raw loop')?.get(w);
    const ceiling = other !== 'raw loop' && raw && raw.median > 0 ? `; ceiling on this daemon (raw loop / ${other}): ${num(raw.median / them.median, 2)}×` : '';
    // Each round ran both: the median of the per-round ratios cancels slow spells of the shared machine.
    const paired = sdk.rates.slice(0, them.rates.length).map((rate, round) => rate / them.rates[round]!);
    const ratio = median(paired);
    const pairing = `median of ${paired.length} per-round ratios (ratio of medians ${num(sdk.median / them.median, 2)})`;
    return figures.push(atLeast(id, what, ratio, bound, '×', `${pairing}; ${describe('SDK', w)}; ${describe(other, w)}${ceiling}${daemonLoad(w)}`));
  };
  for (const w of inFlight) compare('P1', 'raw loop', 0.9, w);
  for (const w of inFlight) {
    compare('Peers', 'Python', 3, w);
    compare('Peers', 'Go', 1, w);
  }
  return figures;
}

/** An index valid on this daemon (from `new_keypair`), the same for every contender. */
export async function benchIndex(client: ThinClient): Promise<Uint8Array> {
  const keypair = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
  return keypair.firstMessageIndex;
}
