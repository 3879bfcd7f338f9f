/*
 * cbor-x, always its plain JavaScript build. Its main entry, on Node and on
 * every runtime that resolves the "node" export condition (Bun, Deno),
 * loads the optional native addon cbor-extract: that crashes Bun at start
 * and fails on Deno (an addon built against Node's V8 symbols), and needs a
 * compiler where no prebuilt binary is served. The `cbor-x/decode` and
 * `cbor-x/encode` entries are the same library without it. The addon only
 * speeds up the decoding of long text strings, and our frames carry byte
 * strings: `npm run bench -- --only CBOR` measures what it is worth on
 * daemon frames (nothing measurable; see README, Performance). The whole
 * SDK imports cbor-x through this file (spec/wire/cbor-library.spec.ts).
 */
export { Decoder } from 'cbor-x/decode';
export { Encoder, type Options } from 'cbor-x/encode';
