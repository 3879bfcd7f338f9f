/*
 * Just enough CBOR for the simulator's voucher blobs, with the semantics
 * hpqc's Go decoder (fxamacker/cbor v2, default options) gives them, so a
 * tampered blob fails the same way in the simulator as in kpclientd:
 *
 * - writing: definite lengths, shortest heads, map keys in the order given
 *   (the callers give canonical order: shorter keys first, then bytewise);
 * - reading a map into named fields: unknown keys are skipped, a missing
 *   field stays null, a key matches its field exactly or else ignoring
 *   case, a value of the wrong type is an error, and so are truncation and
 *   bytes after the item ("extraneous data").
 */

/** Thrown for anything the Go decoder would refuse. */
export class CborDecodeError extends Error {}

const text = new TextEncoder();

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** A value the writer encodes: a byte string, a text string, or an array of byte strings. */
export type CborValue = Uint8Array | string | readonly Uint8Array[];

function item(value: CborValue): number[] {
  if (typeof value === 'string') {
    const bytes = text.encode(value);
    return [...head(3, bytes.length), ...bytes];
  }
  if (value instanceof Uint8Array) return [...head(2, value.length), ...value];
  return [...head(4, value.length), ...value.flatMap((element) => item(element))];
}

/**
 * A CBOR map of text keys, in the order given.
 *
 * @example
 * cborMap([['WhoReply', who], ['VoucherSalt', salt]]);
 */
export function cborMap(entries: ReadonlyArray<readonly [string, CborValue]>): Uint8Array {
  const out = head(5, entries.length);
  for (const [key, value] of entries) out.push(...item(key), ...item(value));
  return Uint8Array.from(out);
}

/** What a field decodes to: `bytes` (null when absent or null), `text` ("" when absent), `bytesList`. */
export type FieldKind = 'bytes' | 'text' | 'bytesList';
type Decoded<K extends FieldKind> = K extends 'bytes' ? Uint8Array | null : K extends 'text' ? string : Uint8Array[] | null;

type Parsed = { readonly kind: 'bytes' | 'text' | 'array' | 'map' | 'other'; readonly value: unknown };

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private byte(): number {
    if (this.at >= this.bytes.length) throw new CborDecodeError('unexpected end of data');
    return this.bytes[this.at++]!;
  }

  private length(info: number): number {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) throw new CborDecodeError('indefinite or reserved length');
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + this.byte();
    return n;
  }

  private take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new CborDecodeError('unexpected end of data');
    return this.bytes.slice(this.at, (this.at += n));
  }

  read(): Parsed {
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 31;
    switch (major) {
      case 0:
      case 1:
        return { kind: 'other', value: this.length(info) };
      case 2:
        return { kind: 'bytes', value: this.take(this.length(info)) };
      case 3: {
        try {
          return { kind: 'text', value: new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.length(info))) };
        } catch (error) {
          throw error instanceof CborDecodeError ? error : new CborDecodeError('invalid UTF-8');
        }
      }
      case 4: {
        const count = this.length(info);
        return { kind: 'array', value: Array.from({ length: count }, () => this.read()) };
      }
      case 5: {
        const count = this.length(info);
        const entries: Array<[Parsed, Parsed]> = [];
        for (let i = 0; i < count; i++) entries.push([this.read(), this.read()]);
        return { kind: 'map', value: entries };
      }
      case 7:
        if (info === 22 || info === 23) return { kind: 'other', value: null }; // null, undefined
        if (info === 20 || info === 21) return { kind: 'other', value: info === 21 };
        throw new CborDecodeError('unsupported simple value');
      default:
        throw new CborDecodeError('unsupported major type');
    }
  }
}

/**
 * Decodes `bytes` as one CBOR map into the named `fields`, the way Go
 * decodes it into a struct (see the file comment).
 *
 * @example
 * const { WhoReply, VoucherSalt } = decodeStruct(plaintext, { WhoReply: 'bytes', VoucherSalt: 'bytes' });
 */
export function decodeStruct<F extends Record<string, FieldKind>>(bytes: Uint8Array | null, fields: F): { [K in keyof F]: Decoded<F[K]> } {
  const reader = new Reader(bytes ?? new Uint8Array(0));
  const top = reader.read();
  if (reader.at !== (bytes?.length ?? 0)) throw new CborDecodeError('extraneous data');
  if (top.kind !== 'map') throw new CborDecodeError('not a map');
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(fields)) out[name] = kind === 'text' ? '' : null;
  const names = Object.keys(fields);
  for (const [key, value] of top.value as Array<[Parsed, Parsed]>) {
    if (key.kind !== 'text') throw new CborDecodeError('a map key of the wrong type');
    const keyText = key.value as string;
    const name = names.find((n) => n === keyText) ?? names.find((n) => n.toLowerCase() === keyText.toLowerCase());
    if (name === undefined) continue;
    const kind = fields[name]!;
    if (value.kind === 'other' && value.value === null) continue;
    if (kind === 'bytes' && value.kind === 'bytes') out[name] = value.value;
    else if (kind === 'text' && value.kind === 'text') out[name] = value.value;
    else if (kind === 'bytesList' && value.kind === 'array' && (value.value as Parsed[]).every((e) => e.kind === 'bytes')) {
      out[name] = (value.value as Parsed[]).map((e) => e.value as Uint8Array);
    } else throw new CborDecodeError(`field ${name}: a value of the wrong type`);
  }
  return out as { [K in keyof F]: Decoded<F[K]> };
}
