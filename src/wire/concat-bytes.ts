/**
 * The parts, back to back, in a fresh `Uint8Array` (a plain ArrayBuffer of
 * exactly their total length).
 *
 * @example
 * concatBytes([Uint8Array.of(1), Uint8Array.of(2)]); // Uint8Array [1, 2]
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
