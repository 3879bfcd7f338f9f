import { InvalidArgumentError } from '../errors/local-errors.js';

/**
 * Input checks run before anything reaches the wire. Messages name the
 * argument and its size, never its content (it may be a secret).
 */
export function checkBytes(
  name: string,
  value: unknown,
  bounds: { readonly length?: number; readonly min?: number; readonly max?: number } = {},
): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describe(value)}`);
  if (bounds.length !== undefined && value.length !== bounds.length)
    throw new InvalidArgumentError(name, `expected exactly ${bounds.length} bytes, got ${value.length}`);
  if (bounds.min !== undefined && value.length < bounds.min)
    throw new InvalidArgumentError(name, `expected at least ${bounds.min} bytes, got ${value.length}`);
  if (bounds.max !== undefined && value.length > bounds.max)
    throw new InvalidArgumentError(name, `expected at most ${bounds.max} bytes, got ${value.length}`);
  return value;
}

/** A non-negative safe integer (or bigint within uint64). */
export function checkUint(name: string, value: unknown, max: bigint = 0xffff_ffff_ffff_ffffn): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && BigInt(value) <= max) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= max) return value;
  throw new InvalidArgumentError(name, `expected an integer from 0 to ${max}, got ${describe(value)}`);
}

/** A positive safe integer. */
export function checkCount(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= max) return value;
  throw new InvalidArgumentError(name, `expected an integer from 1 to ${max}, got ${describe(value)}`);
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(name, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `expected a string, got ${describe(value)}`);
  return value;
}

/** Names a value's type without showing the value (it may be secret). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
