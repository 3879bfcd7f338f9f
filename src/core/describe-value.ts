import { SecretBytes } from '../wire/secret-bytes.js';

/**
 * Names a value's type without showing the value (it may be secret), for
 * the message of an InvalidArgumentError.
 *
 * @example
 * describeValue(new Uint8Array(3)); // '3 bytes'
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array || value instanceof SecretBytes) return `${value.length} bytes`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
