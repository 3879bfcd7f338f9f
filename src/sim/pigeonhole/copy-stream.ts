import { concatBytes } from '../../wire/concat-bytes.js';

/*
 * Copy-stream framing (DAEMON.md §5, `pigeonhole/copy_stream.go`):
 *
 *   stream  = for each envelope: [u32 BE length][envelope bytes]
 *   element = [u8 flags: 0x01 START, 0x02 FINAL][u32 BE n][n bytes], n ≤ M − 5
 *
 * The client writes one element per box of the temporary channel; the
 * courier reassembles the stream and stops after the FINAL element.
 */

/** Element flags. */
export const ElementFlags = { start: 0x01, final: 0x02 } as const;

/** Bytes of an element header (flags + length). */
export const ELEMENT_HEADER = 5;

/**
 * Appends `[u32 BE length][envelope]` to a stream under construction.
 *
 * @example
 * const parts: Uint8Array[] = [];
 * frameEnvelope(parts, envelope);
 */
export function frameEnvelope(parts: Uint8Array[], envelope: Uint8Array): void {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, envelope.length, false);
  parts.push(head, envelope);
}

/** The result of cutting a stream into elements. */
export interface CutResult {
  readonly elements: Uint8Array[];
  /** Stream bytes not emitted (only when not flushing). */
  readonly residual: Uint8Array;
}

/**
 * Cuts stream bytes into elements of at most `capacity` (= M − 5) payload
 * bytes, with the encoder's rules:
 * - `flush` false: emit only while **more than** `capacity` bytes remain, so
 *   the residual holds 1…capacity bytes (0 if the stream is empty);
 * - `flush` true: emit everything, the last element partial; FINAL goes on
 *   the last element when `final` is set — no element, no FINAL;
 * - START goes on the first element emitted when `start` is set — no
 *   element, START is lost.
 *
 * @example
 * cutElements(stream4006, 1544, { flush: true, start: true, final: true }).elements.map((e) => e.length); // [1549, 1549, 923]
 */
export function cutElements(stream: Uint8Array, capacity: number, rules: { flush: boolean; start: boolean; final: boolean }): CutResult {
  const elements: Uint8Array[] = [];
  let offset = 0;
  const remaining = (): number => stream.length - offset;
  while (rules.flush ? remaining() > 0 : remaining() > capacity) {
    const n = Math.min(capacity, remaining());
    const element = new Uint8Array(ELEMENT_HEADER + n);
    element[0] = elements.length === 0 && rules.start ? ElementFlags.start : 0;
    new DataView(element.buffer).setUint32(1, n, false);
    element.set(stream.subarray(offset, offset + n), ELEMENT_HEADER);
    elements.push(element);
    offset += n;
  }
  const last = elements[elements.length - 1];
  if (rules.flush && rules.final && last !== undefined) last[0] = last[0]! | ElementFlags.final;
  return { elements, residual: stream.slice(offset) };
}

/**
 * The courier's side: feed it the plaintext of each temporary box in order;
 * it returns the complete envelopes found so far and whether the FINAL
 * element was seen. Throws on a malformed element or stream.
 *
 * @example
 * const decoder = new CopyStreamDecoder();
 * const { envelopes, isFinal } = decoder.addElement(boxPlaintext);
 */
export class CopyStreamDecoder {
  private pending: Uint8Array = new Uint8Array(0);

  /** Bytes received that do not yet form a whole envelope. */
  get remaining(): number {
    return this.pending.length;
  }

  addElement(element: Uint8Array): { envelopes: Uint8Array[]; isFinal: boolean } {
    if (element.length < ELEMENT_HEADER) throw new RangeError('copy-stream element too short');
    const n = new DataView(element.buffer, element.byteOffset, element.byteLength).getUint32(1, false);
    if (ELEMENT_HEADER + n !== element.length) throw new RangeError('copy-stream element length mismatch');
    this.pending = concatBytes([this.pending, element.subarray(ELEMENT_HEADER)]);
    const envelopes: Uint8Array[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 4) {
      const length = new DataView(this.pending.buffer, this.pending.byteOffset + offset, 4).getUint32(0, false);
      if (length === 0) throw new RangeError('copy-stream envelope of length 0');
      if (this.pending.length - offset - 4 < length) break;
      envelopes.push(this.pending.slice(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.pending = this.pending.slice(offset);
    return { envelopes, isFinal: (element[0]! & ElementFlags.final) !== 0 };
  }
}
