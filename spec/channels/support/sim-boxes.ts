import { nextIndex, type BoxRead, type SimulatorHandle } from '../../../src/sim/index.js';

/** What the simulated replicas hold from `first` on, box after box, until the first empty box. */
export function boxesFrom(sim: SimulatorHandle, cap: Uint8Array, first: Uint8Array, max = 10_000): BoxRead[] {
  const out: BoxRead[] = [];
  let index: Uint8Array | null = first;
  while (index !== null && out.length < max) {
    const box = sim.readBox(cap, index);
    if (box.code === 1) break;
    out.push(box);
    index = nextIndex(index);
  }
  return out;
}

/** The boxes as text: the plaintext, or `<tombstone>`. */
export function boxTexts(sim: SimulatorHandle, cap: Uint8Array, first: Uint8Array): string[] {
  return boxesFrom(sim, cap, first).map((box) => (box.code === 0 ? new TextDecoder().decode(box.plaintext) : '<tombstone>'));
}
