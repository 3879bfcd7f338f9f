import { firstValueFrom } from 'rxjs';
import { bytesEqual, type KeypairResult, type ThinClient } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { seedOf, utf8 } from './fault-env.js';
import type { LedgerReport, OpLedger } from './op-ledger.js';

/** One Pigeonhole operation of a workload, on its own box. */
export interface PlannedOp {
  readonly kind: 'write' | 'read';
  readonly keys: KeypairResult;
  readonly plaintext: Uint8Array;
}

/**
 * Plans `count` operations, alternately a write and a read, each on its
 * own channel (a fresh keypair); the boxes the reads target are written
 * first. Returns the plan once the reads' boxes are in place.
 *
 * @example
 * const plan = await planBoxOps(client, 'storm', 100);
 * startBoxOps(ledger, client, plan);
 */
export async function planBoxOps(client: ThinClient, label: string, count: number): Promise<PlannedOp[]> {
  const plan: PlannedOp[] = [];
  for (let i = 0; i < count; i++) {
    const keys = await firstValueFrom(client.newKeypair(seedOf(`${label}-${i}`)));
    plan.push({ kind: i % 2 === 0 ? 'write' : 'read', keys, plaintext: utf8(`${label} box ${i}`) });
  }
  await Promise.all(
    plan.filter((p) => p.kind === 'read').map((p) => firstValueFrom(client.write(p.keys.writeCap, p.keys.firstMessageIndex, p.plaintext))),
  );
  return plan;
}

/** Subscribes every planned operation through the ledger (labels `write #i` / `read #i`). */
export function startBoxOps(ledger: OpLedger<Uint8Array>, client: ThinClient, plan: readonly PlannedOp[]): void {
  plan.forEach((p, i) => {
    const { writeCap, readCap, firstMessageIndex } = p.keys;
    ledger.start(`${p.kind} #${i}`, p.kind === 'write' ? client.write(writeCap, firstMessageIndex, p.plaintext) : client.read(readCap, firstMessageIndex));
  });
}

/**
 * Counts lost operations: a write whose box the replicas do not hold with
 * its plaintext, or a read that did not return its box's plaintext.
 * `records` must be the ledger's records of {@link startBoxOps}, from `offset`.
 */
export function lostBoxOps(sim: SimulatorHandle, plan: readonly PlannedOp[], report: LedgerReport<Uint8Array>, offset = 0): number {
  let lost = 0;
  plan.forEach((p, i) => {
    if (p.kind === 'write') {
      const box = sim.readBox(p.keys.writeCap, p.keys.firstMessageIndex);
      if (box.code !== 0 || !bytesEqual(box.plaintext, p.plaintext)) lost += 1;
    } else {
      const value = report.records[offset + i]?.value;
      if (value === undefined || !bytesEqual(value, p.plaintext)) lost += 1;
    }
  });
  return lost;
}

/** Boxes the plan's writes add to the replicas (the reads' boxes are written by {@link planBoxOps}). */
export function writesIn(plan: readonly PlannedOp[]): number {
  return plan.filter((p) => p.kind === 'write').length;
}
