import { SecretBytes } from '../../src/wire/secret-bytes.js';

/**
 * `toEqual` on a `SecretBytes` would compare only its one visible
 * property, `length` — two different write caps would be "equal". Specs
 * compare their bytes instead (a `SecretBytes` equals another, or a
 * `Uint8Array`, holding the same bytes). Applications' tests can do the
 * same, or compare with `secret.equals(other)`.
 */
// In Jest 30 (expect 30), missing from @types/jest 30's declarations.
(expect as unknown as { addEqualityTesters(testers: Array<(a: unknown, b: unknown) => boolean | undefined>): void }).addEqualityTesters([
  (a: unknown, b: unknown): boolean | undefined => {
    if (a instanceof SecretBytes) return b instanceof SecretBytes || b instanceof Uint8Array ? a.equals(b) : false;
    if (b instanceof SecretBytes) return a instanceof Uint8Array ? b.equals(a) : false;
    return undefined;
  },
]);
