import { describeValue } from '../core/describe-value.js';
import { InvalidArgumentError } from '../errors/local-errors.js';
import { WireSizes } from '../wire/constants.js';
import { SecretBytes, type SecretInput } from '../wire/secret-bytes.js';

type Bounds = { readonly length?: number; readonly min?: number; readonly max?: number };

/**
 * Input checks run before anything reaches the wire. Messages name the
 * argument and its size, never its content (it may be a secret).
 */
export function checkBytes(
  name: string,
  value: unknown,
  bounds: Bounds = {},
): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describeValue(value)}`);
  checkLength(name, value.length, bounds);
  return value;
}

/** A secret: a `SecretBytes` or plain bytes, of the given size. */
export function checkSecret(name: string, value: unknown, bounds: Bounds = {}): SecretInput {
  if (!(value instanceof Uint8Array) && !(value instanceof SecretBytes)) {
    throw new InvalidArgumentError(name, `expected a SecretBytes or a Uint8Array, got ${describeValue(value)}`);
  }
  checkLength(name, value.length, bounds);
  return value;
}

function checkLength(name: string, length: number, bounds: Bounds): void {
  if (bounds.length !== undefined && length !== bounds.length) throw new InvalidArgumentError(name, `expected exactly ${bounds.length} bytes, got ${length}`);
  if (bounds.min !== undefined && length < bounds.min) throw new InvalidArgumentError(name, `expected at least ${bounds.min} bytes, got ${length}`);
  if (bounds.max !== undefined && length > bounds.max) throw new InvalidArgumentError(name, `expected at most ${bounds.max} bytes, got ${length}`);
}

/** A non-negative safe integer (or bigint within uint64). */
export function checkUint(name: string, value: unknown, max: bigint = 0xffff_ffff_ffff_ffffn): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && BigInt(value) <= max) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= max) return value;
  throw new InvalidArgumentError(name, `expected an integer from 0 to ${max}, got ${describeValue(value)}`);
}

/** A positive safe integer. */
export function checkCount(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= max) return value;
  throw new InvalidArgumentError(name, `expected an integer from 1 to ${max}, got ${describeValue(value)}`);
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(name, `expected a boolean, got ${describeValue(value)}`);
  return value;
}


// Shared with core/ (the reconnect policy checks its options too).
export { describeValue };

/** A 168-byte write capability (a `SecretBytes`, or plain bytes). */
export function checkWriteCap(name: string, value: unknown): SecretInput {
  return checkSecret(name, value, { length: WireSizes.writeCap });
}

/** A 136-byte read capability. */
export function checkReadCap(name: string, value: unknown): Uint8Array {
  return checkBytes(name, value, { length: WireSizes.readCap });
}

/** A 104-byte message box index. */
export function checkIndex(name: string, value: unknown): Uint8Array {
  return checkBytes(name, value, { length: WireSizes.messageBoxIndex });
}

/** A box plaintext: at most `MaxPlaintextPayloadLength` bytes once the geometry is known. */
export function checkPlaintext(ctx: { state(): { readonly pigeonholeGeometry: { readonly maxPlaintextPayloadLength: number } | null } }, name: string, value: unknown): Uint8Array {
  const max = ctx.state().pigeonholeGeometry?.maxPlaintextPayloadLength;
  return checkBytes(name, value, max === undefined ? {} : { max });
}
