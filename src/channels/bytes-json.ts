import { fromBase64Url, toBase64Url } from '../core/base64url.js';

/**
 * JSON with byte strings: every `Uint8Array` becomes `{"$b": base64url}`
 * and back, so stores can keep records as plain JSON text.
 *
 * @example
 * parseWithBytes(stringifyWithBytes({ cap: new Uint8Array([1]) })); // { cap: Uint8Array [1] }
 */
export function stringifyWithBytes(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? { $b: toBase64Url(v) } : v));
}

/**
 * Inverse of {@link stringifyWithBytes}; throws a `SyntaxError` for bad
 * JSON and an `Error` for a corrupt byte string.
 *
 * @example
 * const record = parseWithBytes(text) as ChannelRecord;
 */
export function parseWithBytes(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$b' && typeof (v as { $b: unknown }).$b === 'string') {
        const bytes = fromBase64Url((v as { $b: string }).$b);
        if (bytes === null) throw new Error('corrupt base64url byte string');
        return bytes;
      }
    }
    return v;
  });
}
