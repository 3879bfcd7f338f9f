/**
 * Keeps plaintexts (and any secret still held as plain bytes) out of
 * `util.inspect` / Node's `console.log` and `JSON.stringify`: objects made
 * with {@link redacted} print those byte fields as `[redacted N bytes]`.
 * The fields themselves are untouched — applications need the bytes —
 * only their printed form changes.
 *
 * The secrets proper — write capabilities, seeds, envelope descriptors —
 * are `SecretBytes` wherever the SDK hands them out, which print redacted
 * everywhere, browser consoles included (see `secret-bytes.ts`). Listing
 * their names here too covers objects that carry them as plain bytes.
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'writeCap',
  'destWriteCap',
  'messageWriteCap',
  'mutatedMessageWriteCap',
  'voucherWriteCap',
  'voucherSecretKey',
  'voucher',
  'whoReply',
  /** A contact invite string: a bearer token. */
  'invite',
  'seed',
  'envelopeDescriptor',
  'plaintext',
  'payload',
]);

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

type Inspect = (value: unknown, options?: unknown) => string;

/** A printable copy of `value` with secret fields replaced by their size. */
export function redactedView(value: object): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (!SECRET_FIELDS.has(key)) shown[key] = field;
    else if (field instanceof Uint8Array) shown[key] = `[redacted ${field.length} bytes]`;
    else if (typeof field === 'string') shown[key] = `[redacted ${field.length} characters]`;
    else shown[key] = field;
  }
  return shown;
}

const redactingPrototype: object = Object.freeze({
  [inspectCustom](this: object, _depth: number, options: unknown, inspect?: Inspect): unknown {
    const view = redactedView(this);
    return inspect ? inspect(view, options) : view;
  },
  /** `JSON.stringify` of a result or event: the same view. */
  toJSON(this: object): Record<string, unknown> {
    return redactedView(this);
  },
});

/**
 * `fields` as an object that prints without its secrets. Equality checks
 * (`toEqual`, structural comparisons) and property access are unaffected.
 *
 * @example
 * console.log(redacted({ writeCap, readCap })); // { writeCap: '[redacted 168 bytes]', readCap: Uint8Array(136) [...] }
 */
export function redacted<T extends object>(fields: T): T {
  return Object.assign(Object.create(redactingPrototype) as T, fields);
}

/**
 * An empty object that prints like {@link redacted}'s, for decoders that
 * fill in the fields themselves (one object per message instead of two).
 *
 * @example
 * const message = emptyRedacted();
 * message['payload'] = bytes; // console.log(message) → { payload: '[redacted 5 bytes]' }
 */
export function emptyRedacted(): Record<string, unknown> {
  return Object.create(redactingPrototype) as Record<string, unknown>;
}
