import { Decoder as PlainDecoder } from 'cbor-x/decode';
import { Encoder as PlainEncoder } from 'cbor-x/encode';

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
 *
 * In the published package this module *is* those two entries: the build
 * bundles them into dist/wire/cbor-library.js with cbor-x's licence
 * (scripts/bundle-cbor.ts), so cbor-x is no dependency of the package and
 * an application's `npm install` neither fetches nor compiles its addon.
 * The types below are the part of cbor-x the SDK uses, declared here so
 * that the package's declarations need no cbor-x either.
 */

/** The cbor-x options the SDK sets (a part of cbor-x's `Options`). */
export interface CborOptions {
  readonly tagUint8Array?: boolean;
  readonly variableMapSize?: boolean;
  readonly useRecords?: boolean;
  readonly pack?: boolean;
  readonly mapsAsObjects?: boolean;
  readonly useTag259ForMaps?: boolean;
}

/** A cbor-x encoder. Its output is a view of a buffer it reuses: copy what you keep. */
export interface CborEncoder {
  encode(value: unknown): Uint8Array;
}

/** A cbor-x decoder. Byte strings come back as views of the input. */
export interface CborDecoder {
  decode(bytes: Uint8Array): unknown;
}

/** cbor-x's `Encoder`. */
export const Encoder: new (options?: CborOptions) => CborEncoder = PlainEncoder;
/** cbor-x's `Decoder`. */
export const Decoder: new (options?: CborOptions) => CborDecoder = PlainDecoder;
