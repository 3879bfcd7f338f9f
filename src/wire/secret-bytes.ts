/**
 * The bytes of every secret, out of reach of anything that prints: a
 * WeakMap is not a property, so neither `JSON.stringify`, `String()`,
 * template strings, `util.inspect` nor a browser console (which shows
 * properties — own, inherited, non-enumerable and `#private` alike, but no
 * module's WeakMap) can reach them.
 */
const contents = new WeakMap<SecretBytes, Uint8Array>();

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * A secret byte string — a write capability, a seed, an envelope
 * descriptor — that never prints: `JSON.stringify`, `String()`, template
 * strings, `util.inspect`, `console.log` in Node and in browsers all show
 * `[redacted N bytes]`. The bytes come out only through the explicit
 * {@link exposeBytes} (to persist or hand them on yourself); every method
 * of the SDK takes a `SecretBytes` wherever it takes the secret.
 *
 * Equality: compare with {@link equals}. Structural comparisons
 * (`toEqual`, `deepStrictEqual`) see only `length`.
 *
 * @example
 * const { writeCap } = await firstValueFrom(client.newKeypair(seed));
 * console.log(writeCap);                        // [redacted 168 bytes]
 * JSON.stringify({ writeCap });                 // {"writeCap":"[redacted 168 bytes]"}
 * await save(writeCap.exposeBytes());           // your storage, as carefully as a password
 * const again = SecretBytes.from(await load()); // and back
 */
export class SecretBytes {
  /** The number of bytes (not secret). */
  readonly length: number;

  private constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    contents.set(this, bytes);
    Object.freeze(this);
  }

  /**
   * Wraps a copy of `bytes` (later changes to `bytes` do not reach it); a
   * `SecretBytes` is returned as it is.
   *
   * @example
   * const writeCap = SecretBytes.from(bytesFromMyVault);
   */
  static from(bytes: SecretInput): SecretBytes {
    if (bytes instanceof SecretBytes) return bytes;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('SecretBytes.from: expected a Uint8Array');
    return new SecretBytes(new Uint8Array(bytes));
  }

  /** @internal Wraps `bytes` without copying: the caller hands them over. */
  static adopt(bytes: Uint8Array): SecretBytes {
    return new SecretBytes(bytes);
  }

  /**
   * The secret itself, as a fresh copy — the one explicit way out. Keep
   * what you do with it away from logs, error reports and analytics.
   */
  exposeBytes(): Uint8Array {
    return new Uint8Array(revealSecret(this));
  }

  /** Whether `other` holds the same bytes (in time independent of where they differ). */
  equals(other: SecretInput): boolean {
    const a = revealSecret(this);
    const b = other instanceof SecretBytes ? revealSecret(other) : other;
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    let difference = 0;
    for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
    return difference === 0;
  }

  /** `[redacted N bytes]`. */
  toString(): string {
    return `[redacted ${this.length} bytes]`;
  }

  /** `JSON.stringify` shows `"[redacted N bytes]"`. */
  toJSON(): string {
    return this.toString();
  }

  /** Template strings and `+` concatenation. */
  [Symbol.toPrimitive](): string {
    return this.toString();
  }

  /** `util.inspect` / `console.log` in Node. */
  [inspectCustom](): string {
    return this.toString();
  }

  /** `Object.prototype.toString` names it: `[object SecretBytes]`. */
  get [Symbol.toStringTag](): string {
    return 'SecretBytes';
  }
}

/** Where the SDK takes a secret: a {@link SecretBytes}, or plain bytes you hold yourself. */
export type SecretInput = SecretBytes | Uint8Array;

/** @internal The bytes of a secret, without a copy (the encoder's way to the wire). */
export function revealSecret(secret: SecretInput): Uint8Array {
  if (!(secret instanceof SecretBytes)) return secret;
  const bytes = contents.get(secret);
  if (bytes === undefined) throw new TypeError('not a SecretBytes made by SecretBytes.from');
  return bytes;
}
