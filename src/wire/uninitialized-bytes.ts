/**
 * `size` bytes of fresh memory that the caller will overwrite completely:
 * in Node a `Buffer.allocUnsafeSlow` (its own ArrayBuffer, never pooled or
 * shared, not zeroed), elsewhere a Uint8Array (zeroed). Skipping the
 * zeroing matters for multi-megabyte frames, where it is a whole extra
 * pass over the memory (bench P2). Callers must never expose a byte they
 * have not written.
 *
 * @example
 * const body = uninitializedBytes(length); // then fill all `length` bytes
 */
export function uninitializedBytes(size: number): Uint8Array {
  return typeof Buffer === 'function' ? Buffer.allocUnsafeSlow(size) : new Uint8Array(size);
}
