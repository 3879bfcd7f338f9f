/**
 * A deliberately tiny CBOR writer and structural reader for specs, written
 * independently of cbor-x so that fixtures do not share bugs with the code
 * under test. The writer emits exactly the heads Go's fxamacker/cbor emits
 * (shortest form) unless a helper says otherwise.
 */

export type Item = Uint8Array;

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function head(major: number, n: bigint): Uint8Array {
  const m = major << 5;
  if (n < 24n) return Uint8Array.of(m | Number(n));
  if (n < 0x100n) return Uint8Array.of(m | 24, Number(n));
  if (n < 0x10000n) return Uint8Array.of(m | 25, Number(n >> 8n), Number(n & 0xffn));
  if (n < 0x100000000n) {
    const out = new Uint8Array(5);
    out[0] = m | 26;
    new DataView(out.buffer).setUint32(1, Number(n));
    return out;
  }
  return head8(major, n);
}

function head8(major: number, n: bigint): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = (major << 5) | 27;
  new DataView(out.buffer).setBigUint64(1, n);
  return out;
}

/** Unsigned integer, shortest head. */
export const uint = (n: number | bigint): Item => head(0, BigInt(n));
/** Unsigned integer forced into an 8-byte head (legal, decoded as bigint by cbor-x). */
export const uint64 = (n: number | bigint): Item => head8(0, BigInt(n));
/** Negative integer `n` (< 0). */
export const negint = (n: number): Item => head(1, BigInt(-1 - n));
export const bstr = (bytes: Uint8Array): Item => concat(head(2, BigInt(bytes.length)), bytes);
export const tstr = (s: string): Item => {
  const bytes = new TextEncoder().encode(s);
  return concat(head(3, BigInt(bytes.length)), bytes);
};
export const arr = (...items: readonly Item[]): Item => concat(head(4, BigInt(items.length)), ...items);
export const map = (...pairs: readonly (readonly [Item, Item])[]): Item =>
  concat(head(5, BigInt(pairs.length)), ...pairs.flatMap(([k, v]) => [k, v]));
/** Map with text keys, in the given order. */
export const tmap = (...pairs: readonly (readonly [string, Item])[]): Item =>
  map(...pairs.map(([k, v]) => [tstr(k), v] as const));
export const tag = (n: number, item: Item): Item => concat(head(6, BigInt(n)), item);
export const f64 = (x: number): Item => {
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, x);
  return out;
};
/** Raw float16 (canonical CBOR's shortest float), given as its 2-byte hex. */
export const f16 = (hex: string): Item => concat(Uint8Array.of(0xf9), fromHex(hex));
export const NULL: Item = Uint8Array.of(0xf6);
export const TRUE: Item = Uint8Array.of(0xf5);
export const FALSE: Item = Uint8Array.of(0xf4);

/** `n` bytes all equal to `byte`. */
export const filled = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);
/** `n` bytes counting up from `start`. */
export const counting = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

/** Replaces (or, with `undefined`, removes) entry `key` of a text-keyed entry list; appends if absent. */
export function withEntry(
  entries: readonly (readonly [string, Item])[],
  key: string,
  value: Item | undefined,
): [string, Item][] {
  const out = entries.filter(([k]) => k !== key).map(([k, v]) => [k, v] as [string, Item]);
  if (value === undefined) return out;
  const index = entries.findIndex(([k]) => k === key);
  out.splice(index < 0 ? out.length : index, 0, [key, value]);
  return out;
}

// ---------------------------------------------------------------------------
// Structural reader: enough to assert on heads and major types.

export type Node =
  | { readonly major: 0 | 1; readonly value: bigint; readonly headLength: number }
  | { readonly major: 2; readonly bytes: Uint8Array }
  | { readonly major: 3; readonly text: string }
  | { readonly major: 4; readonly items: readonly Node[] }
  | { readonly major: 5; readonly entries: readonly (readonly [Node, Node])[] }
  | { readonly major: 6; readonly tag: bigint; readonly item: Node }
  | { readonly major: 7; readonly simple: number; readonly float?: number };

/** Parses exactly one item; throws on trailing bytes or truncation. */
export function parseCbor(bytes: Uint8Array): Node {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new Error('truncated');
  };
  const readArg = (info: number): { value: bigint; length: number } => {
    if (info < 24) return { value: BigInt(info), length: 1 };
    const sizes: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const size = sizes[info];
    if (size === undefined) throw new Error(`unsupported additional info ${info}`);
    need(size);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[pos + i] as number);
    pos += size;
    return { value: v, length: 1 + size };
  };
  const item = (): Node => {
    need(1);
    const initial = bytes[pos++] as number;
    const major = initial >> 5;
    const info = initial & 31;
    if (major === 7) {
      if (info === 25) {
        need(2);
        pos += 2;
        return { major: 7, simple: 25 };
      }
      if (info === 26) {
        need(4);
        const f = view.getFloat32(pos);
        pos += 4;
        return { major: 7, simple: 26, float: f };
      }
      if (info === 27) {
        need(8);
        const f = view.getFloat64(pos);
        pos += 8;
        return { major: 7, simple: 27, float: f };
      }
      return { major: 7, simple: info };
    }
    const { value, length } = readArg(info);
    switch (major) {
      case 0:
      case 1:
        return { major, value, headLength: length };
      case 2: {
        need(Number(value));
        const b = bytes.slice(pos, pos + Number(value));
        pos += Number(value);
        return { major: 2, bytes: b };
      }
      case 3: {
        need(Number(value));
        const t = new TextDecoder().decode(bytes.subarray(pos, pos + Number(value)));
        pos += Number(value);
        return { major: 3, text: t };
      }
      case 4:
        return { major: 4, items: Array.from({ length: Number(value) }, item) };
      case 5:
        return { major: 5, entries: Array.from({ length: Number(value) }, () => [item(), item()] as const) };
      default:
        return { major: 6, tag: value, item: item() };
    }
  };
  const root = item();
  if (pos !== bytes.length) throw new Error('trailing bytes');
  return root;
}

/** The value under text key `key` of a parsed map node. */
export function entryOf(node: Node, key: string): Node {
  if (node.major !== 5) throw new Error(`not a map (major ${node.major})`);
  const found = node.entries.find(([k]) => k.major === 3 && k.text === key);
  if (found === undefined) throw new Error(`no key ${key}`);
  return found[1];
}

/** Visits every node of the tree (not inside byte strings). */
export function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  if (node.major === 4) node.items.forEach((n) => walk(n, visit));
  if (node.major === 5)
    node.entries.forEach(([k, v]) => {
      walk(k, visit);
      walk(v, visit);
    });
  if (node.major === 6) walk(node.item, visit);
}
