/**
 * `npm run testnet -- calibrate [--samples N]`: how long each daemon
 * operation takes on the running testnet, measured through the SDK's
 * primitives — and the same operations on the simulator (kpsim) with its
 * default delays and the testnet's topology (one mix layer, two replicas),
 * side by side, so the simulator's latency model can be checked against
 * reality (the README's simulator section quotes these).
 *
 * Operations, one at a time on one connection (no overlap):
 *   encrypt_write / encrypt_read   local CTIDH work in kpclientd
 *   write ARQ                      start_resending of a write → ACK
 *   read ARQ                       start_resending of a read of a written box → plaintext
 *   read ARQ, no retry, missing    → BoxIDNotFound
 *   echo round trip                send → reply
 */
import { firstValueFrom } from 'rxjs';
import { BoxIDNotFoundError, ThinClient, loadConfig, type ThinClientConfig } from '../src/index.js';
import { startSimulator } from '../src/sim/index.js';

/** The operations measured, in print order. */
export const CALIBRATED_OPERATIONS = ['encrypt_write', 'write ARQ', 'encrypt_read', 'read ARQ', 'read ARQ, no retry, missing box', 'echo round trip'] as const;
export type CalibratedOperation = (typeof CALIBRATED_OPERATIONS)[number];

/** Durations in ms per operation. */
export type Samples = Map<CalibratedOperation, number[]>;

async function timed<T>(samples: Samples, op: CalibratedOperation, scale: number, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await body();
  const list = samples.get(op) ?? [];
  list.push((performance.now() - started) / scale);
  samples.set(op, list);
  return result;
}

/**
 * Measures every operation `count` times on `config`'s daemon. `scale` is
 * the simulator's time scale (real ms per simulated ms; 1 for the testnet):
 * durations are divided by it, so both are in network milliseconds.
 */
export async function measureOperations(config: ThinClientConfig, count: number, scale: number, log: (line: string) => void): Promise<Samples> {
  const samples: Samples = new Map();
  const client = await ThinClient.connect(config, { requestTimeoutMs: 300_000 });
  try {
    const echo = client.getService('echo').toDestination();
    for (let i = 0; i < count; i++) {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
      const plaintext = crypto.getRandomValues(new Uint8Array(1000));
      const sealed = await timed(samples, 'encrypt_write', scale, () => firstValueFrom(client.encryptWrite(plaintext, writeCap, firstMessageIndex)));
      await timed(samples, 'write ARQ', scale, () => firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed })));
      const read = await timed(samples, 'encrypt_read', scale, () => firstValueFrom(client.encryptRead(readCap, firstMessageIndex)));
      await timed(samples, 'read ARQ', scale, () => firstValueFrom(client.startResendingEncryptedMessage({ readCap, messageBoxIndex: firstMessageIndex, ...read })));
      const missing = await firstValueFrom(client.encryptRead(readCap, sealed.nextMessageBoxIndex));
      await timed(samples, 'read ARQ, no retry, missing box', scale, () =>
        firstValueFrom(client.startResendingEncryptedMessageNoRetry({ readCap, messageBoxIndex: sealed.nextMessageBoxIndex, ...missing })).then(
          () => {
            throw new Error('a box nobody wrote was read');
          },
          (error: unknown) => {
            if (!(error instanceof BoxIDNotFoundError)) throw error;
          },
        ),
      );
      await timed(samples, 'echo round trip', scale, () => firstValueFrom(client.send(new Uint8Array([i]), echo, { timeoutMs: 60_000 }))).catch((error: unknown) =>
        log(`echo ${i + 1}: ${error instanceof Error ? error.message : String(error)} (a lost packet: not counted)`),
      );
      log(`round ${i + 1}/${count} done`);
    }
  } finally {
    await client.close();
  }
  return samples;
}

/** The `q`-quantile (0–1) of `values`, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** One table row per operation: median and the 10–90 % range, real against simulated. */
export function calibrationTable(real: Samples, simulated: Samples): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const cell = (values: readonly number[] | undefined) =>
    values?.length ? `${s(quantile(values, 0.5))} s (${s(quantile(values, 0.1))}–${s(quantile(values, 0.9))}, n=${values.length})` : '—';
  const rows = CALIBRATED_OPERATIONS.map((op) => `| ${op} | ${cell(real.get(op))} | ${cell(simulated.get(op))} |`);
  return ['| Operation | testnet: median (p10–p90) | kpsim, default delays: median (p10–p90) |', '|---|---|---|', ...rows].join('\n');
}

/**
 * Measures the testnet's daemon and a default simulator (at `simScale`
 * real ms per simulated ms), and prints the table.
 *
 * @example
 * await calibrate('/tmp/…/thinclient.toml', 10, console.error);
 */
export async function calibrate(thinClientToml: string, count: number, log: (line: string) => void, simScale = 0.05): Promise<string> {
  log(`measuring the testnet (${count} rounds: a few minutes)`);
  const real = await measureOperations(await loadConfig(thinClientToml), count, 1, log);
  log(`measuring kpsim with its default delays and the testnet's topology (time scale ${simScale})`);
  // Same topology as the testnet (one mix layer, two replicas), so only the delays differ.
  const sim = await startSimulator({ timeScale: simScale, autoAdvanceEpochs: false, mixLayers: 1, storageReplicas: 2 });
  try {
    const simulated = await measureOperations(sim.config, count, simScale, log);
    return calibrationTable(real, simulated);
  } finally {
    await sim.close();
  }
}
