/**
 * CBOR: what cbor-x's optional native addon (cbor-extract) would be worth
 * to the SDK, which never loads it (src/wire/cbor-library.ts: it crashes
 * Bun, fails on Deno and needs a compiler where no prebuilt binary is
 * served). The addon only replaces cbor-x's decoding of text strings.
 *
 * The same bytes are decoded, with the SDK's decoder options, by the build
 * the SDK uses (`cbor-x/decode`, plain JavaScript) and by cbor-x's
 * CommonJS build, which loads the addon — a separate module instance, so
 * both live in this process and alternate run by run. Ratio = native time /
 * JavaScript time, median of paired runs: 1 means the addon saves nothing,
 * 0.5 would mean it halves decoding. Target ≥ 0.9×: dropping it costs at
 * most about a tenth of decoding time (which is itself a small part of a
 * request, see P1).
 *
 * Inputs: daemon frames as kpclientd sends them (all 25 keys; the frames of
 * P1, events with payloads, the handshake's geometry), the PKI document
 * (the most text: node names, addresses; nested CBOR decoded too), and P2's
 * 10 MiB payload frame.
 */
import { createRequire } from 'node:module';
import { Decoder as PlainDecoder } from 'cbor-x/decode';
import { encodeDaemonMessage } from 'katzenpost-rx';
import { buildSyntheticPKIDocument, deriveSimGeometry } from 'katzenpost-rx/sim';
import { atLeast, skipped, type Figure } from './support/figure.js';
import { median, num } from './support/stats.js';

type DecoderCtor = typeof PlainDecoder;
interface Decode {
  decode(bytes: Uint8Array): unknown;
}

/** cbor-x with the addon, or why not (not installed / not built here). */
function nativeCbor(): { Decoder: DecoderCtor } | string {
  try {
    const cbor = createRequire(import.meta.url)('cbor-x') as { Decoder: DecoderCtor; isNativeAccelerationEnabled: boolean };
    return cbor.isNativeAccelerationEnabled ? cbor : 'cbor-extract did not load here (not installed or not built)';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const b = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** The daemon frames of a session: replies as in P1, events with payloads, the handshake. */
function sessionFrames(): Uint8Array[] {
  const geometry = deriveSimGeometry();
  return [
    encodeDaemonMessage({ type: 'next_message_box_index_reply', queryId: b(16, 1), nextMessageBoxIndex: b(104, 2), errorCode: 0 }),
    encodeDaemonMessage({ type: 'new_keypair_reply', queryId: b(16, 1), writeCap: b(168, 2), readCap: b(136, 3), firstMessageIndex: b(104, 4), errorCode: 0 }),
    encodeDaemonMessage({ type: 'message_reply_event', messageId: b(16, 1), surbId: b(16, 2), payload: b(2000, 3), errorCode: 0 }),
    encodeDaemonMessage({ type: 'start_resending_encrypted_message_reply', queryId: b(16, 1), plaintext: b(1500, 5), errorCode: 0 }),
    encodeDaemonMessage({ type: 'connection_status_event', isConnected: true, instanceToken: b(16, 6), sphinxGeometry: geometry.sphinx, pigeonholeGeometry: geometry.pigeonhole }),
  ];
}

/** Decodes, and decodes again every byte string that holds a CBOR map or array (the PKI document nests its parts). */
function deepDecode(decoder: Decode, bytes: Uint8Array): number {
  let items = 0;
  const walk = (value: unknown): void => {
    items++;
    if (value instanceof Uint8Array) {
      if (value.length > 1 && value[0]! >= 0x80 && value[0]! <= 0xbf) {
        try {
          walk(decoder.decode(value));
        } catch {
          // random key bytes that only look like a header
        }
      }
    } else if (value instanceof Map) for (const v of value.values()) walk(v);
    else if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(decoder.decode(bytes));
  return items;
}

/** Paired runs: native, then plain JS, each decoding `inputs` `times` times; median of native/JS ratios. */
function pairedRatio(native: Decode, plain: Decode, inputs: readonly Uint8Array[], times: number, runs: number, deep = false): { ratio: number; nativeUs: number; plainUs: number } {
  const once = (decoder: Decode): number => {
    const started = performance.now();
    for (let i = 0; i < times; i++) {
      for (const input of inputs) {
        if (deep) deepDecode(decoder, input);
        else decoder.decode(input);
      }
    }
    return ((performance.now() - started) * 1000) / (times * inputs.length);
  };
  for (let i = 0; i < 2; i++) {
    once(native); // warm-up
    once(plain);
  }
  const ratios: number[] = [];
  const nativeUs: number[] = [];
  const plainUs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const n = once(native);
    const p = once(plain);
    nativeUs.push(n);
    plainUs.push(p);
    ratios.push(n / p);
  }
  return { ratio: median(ratios), nativeUs: median(nativeUs), plainUs: median(plainUs) };
}

export async function runCbor(options: { readonly runs: number; readonly log: (line: string) => void }): Promise<Figure[]> {
  const cases = [
    { what: 'decode daemon session frames (replies, events, handshake geometry)', inputs: sessionFrames(), times: 20_000, options: { mapsAsObjects: true, useRecords: false }, deep: false },
    { what: 'decode a PKI document (node names, addresses; nested CBOR too)', inputs: [buildSyntheticPKIDocument({ epoch: 42 })], times: 300, options: { mapsAsObjects: false }, deep: true },
    { what: 'decode a 10 MiB payload frame', inputs: [encodeDaemonMessage({ type: 'message_reply_event', surbId: b(16, 1), payload: b(10 * 1024 * 1024, 7), errorCode: 0 })], times: 3, options: { mapsAsObjects: true, useRecords: false }, deep: false },
  ];
  const target = '≥ 0.9×';
  const native = nativeCbor();
  if (typeof native === 'string') return cases.map((c) => skipped('CBOR', `${c.what}: native addon time / plain JS time`, target, native));
  return cases.map((c) => {
    const result = pairedRatio(new native.Decoder(c.options), new PlainDecoder(c.options), c.inputs, c.times, options.runs, c.deep);
    const sizes = c.inputs.map((i) => i.length).join(', ');
    options.log(`CBOR ${c.what}: native ${num(result.nativeUs, 2)} µs, plain JS ${num(result.plainUs, 2)} µs per input`);
    return atLeast('CBOR', `${c.what}: native addon time / plain JS time`, result.ratio, 0.9, '×',
      `median of ${options.runs} paired runs; per input (bytes: ${sizes}): native ${num(result.nativeUs, 2)} µs, plain JS ${num(result.plainUs, 2)} µs (medians)`);
  });
}
