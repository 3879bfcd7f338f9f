/**
 * Fault injection 7d: property-based fuzzing (fast-check) of the two
 * places where daemon bytes enter the SDK.
 *
 * FrameDecoder: valid frames split at arbitrary points decode to exactly
 * the original bodies; arbitrary byte streams under arbitrary chunkings
 * give the same frames as a naive reference parser and fail only with
 * `FrameTooLargeError` (then stay failed), never another exception.
 *
 * Codec: `decodeDaemonMessage` on arbitrary bytes, on mutated real-daemon
 * frames and on well-formed CBOR with fields of any type returns a message
 * whose fields have their schema types, or throws `ProtocolError` — nothing
 * else; requests and daemon messages round-trip through the encoders.
 *
 * Case counts come from the scale (`KPRX_FAULTS`): a few thousand for
 * `npm test`, ≥ 100 000 for `npm run faults`. `KPRX_FUZZ_SEED` replays.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import {
  FrameTooLargeError,
  ProtocolError,
  RESPONSE_KINDS,
  decodeDaemonMessage,
  decodeRequest,
  encodeDaemonMessage,
  encodeRequest,
  fromHex,
  type OutgoingDaemonMessage,
  type Request,
} from 'katzenpost-rx';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import { RequestSchemas } from '../../src/wire/request-schemas.js';
import { ResponseSchemas } from '../../src/wire/response-schemas.js';
import type { Schema } from '../../src/wire/fields.js';
import { printFigures } from './support/fault-env.js';
import { faultSettings, fuzzSeed } from './support/fault-settings.js';
import { conforms, decodedBody, messageArbitrary, sameValue } from './support/schema-arbitraries.js';

const tally = { cases: 0, crashes: 0 };
const params = (): fc.Parameters<unknown> => ({ numRuns: faultSettings.fuzzRuns, ...(fuzzSeed === undefined ? {} : { seed: fuzzSeed }) });

/** Runs `body`, counting the case, and counting (and rethrowing) anything it throws. */
function fuzzCase(body: () => void): void {
  tally.cases += 1;
  try {
    body();
  } catch (error) {
    tally.crashes += 1;
    throw error;
  }
}

afterAll(() => {
  printFigures(`fuzz cases=${tally.cases} crashes=${tally.crashes} (${faultSettings.scale}, ${faultSettings.fuzzRuns} runs per property)`);
});

// ---- frame decoder ------------------------------------------------------

const header = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** Splits `bytes` at the given points (taken modulo its length + 1). */
function chunk(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const cut of cuts) {
    out.push(bytes.subarray(at, cut));
    at = cut;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** The reference: parses the whole stream at once, the obvious way. */
function referenceFrames(stream: Uint8Array, max: number): { frames: number[][]; tooLarge: boolean; buffered: number } {
  const frames: number[][] = [];
  let at = 0;
  for (;;) {
    if (stream.length - at < 4) return { frames, tooLarge: false, buffered: stream.length - at };
    const length = new DataView(stream.buffer, stream.byteOffset + at, 4).getUint32(0, false);
    if (length > max) return { frames, tooLarge: true, buffered: 0 };
    if (stream.length - at - 4 < length) return { frames, tooLarge: false, buffered: stream.length - at };
    frames.push([...stream.subarray(at + 4, at + 4 + length)]);
    at += 4 + length;
  }
}

/** A large body without paying for random generation of every byte. */
const patterned = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 9)) & 0xff);

/** Concatenates byte arrays. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `[length prefix, body]`, built independently of the SDK's encoder. */
const framed = (body: Uint8Array): Uint8Array => concat([Uint8Array.from(header(body.length)), body]);

const bodyArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  // Bodies larger than a socket read (64 KiB), so frames span many chunks.
  { weight: 1, arbitrary: fc.constantFrom(...[65_535, 65_536, 70_001].map(patterned)) },
);

/** Stream segments: real frames, stray bytes, and prefixes over or near a limit. */
const segmentArb = (max: number) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map(framed),
    fc.uint8Array({ maxLength: 12 }),
    fc.integer({ min: Math.max(0, max - 2), max: max + 2 }).map((n) => Uint8Array.from(header(n))),
    fc.constant(Uint8Array.from([0xff, 0xff, 0xff, 0xff])),
  );

describe('fuzz: FrameDecoder', () => {
  it('valid frames split anywhere decode to exactly the original bodies', () => {
    fc.assert(
      fc.property(fc.array(bodyArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 24 }), (bodies, points) =>
        fuzzCase(() => {
          const stream = concat(bodies.map(framed));
          const decoder = new FrameDecoder();
          const out: Uint8Array[] = [];
          for (const piece of chunk(stream, points)) decoder.push(piece, (body) => out.push(body));
          expect(out.length).toBe(bodies.length);
          out.forEach((body, i) => {
            if (Buffer.compare(body, bodies[i]!) !== 0) throw new Error(`frame ${i} differs from the original body`);
          });
          expect(decoder.bufferedBytes).toBe(0);
        }),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);

  it('arbitrary streams, arbitrary chunkings: the reference frames, or FrameTooLargeError and nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }).chain((max) => fc.tuple(fc.constant(max), fc.array(segmentArb(max), { maxLength: 12 }))),
        fc.array(fc.nat(), { maxLength: 16 }),
        ([max, segments], points) =>
          fuzzCase(() => {
            const stream = concat(segments);
            const expected = referenceFrames(stream, max);
            const decoder = new FrameDecoder(max);
            const frames: number[][] = [];
            let failure: unknown = null;
            for (const piece of chunk(stream, points)) {
              try {
                decoder.push(piece, (body) => frames.push([...body]));
              } catch (error) {
                if (!(error instanceof FrameTooLargeError)) throw error;
                // Once failed, always failed: the same error, whatever comes next.
                if (failure !== null) expect(error).toBe(failure);
                failure = error;
              }
            }
            if (!sameValue(frames, expected.frames)) expect(frames).toEqual(expected.frames);
            expect(failure !== null).toBe(expected.tooLarge);
            // Every byte of an unfinished frame is counted, its length prefix included.
            if (!expected.tooLarge) expect(decoder.bufferedBytes).toBe(expected.buffered);
          }),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);
});

describe('FrameDecoder.bufferedBytes', () => {
  // A parsed length prefix whose body has not started still counts: frameLink relies on
  // it to tell "idle between frames" from "inside a frame" when the stream ends.
  it('counts a whole length prefix whose body has not arrived yet', () => {
    const decoder = new FrameDecoder();
    decoder.push(Uint8Array.from([0, 0, 0, 45]), () => undefined);
    expect(decoder.bufferedBytes).toBe(4);
  });

  it('counts a partial length prefix and a partial body', () => {
    const decoder = new FrameDecoder();
    decoder.push(Uint8Array.from([0, 0]), () => undefined);
    expect(decoder.bufferedBytes).toBe(2);
    decoder.push(Uint8Array.from([0, 45, 1, 2, 3]), () => undefined);
    expect(decoder.bufferedBytes).toBeGreaterThanOrEqual(3);
  });
});

// ---- codec --------------------------------------------------------------

/** Only a message (with a known or `unknown` type) or a ProtocolError may come out. */
function decodeOrProtocolError(body: Uint8Array): void {
  let message;
  try {
    message = decodeDaemonMessage(body);
  } catch (error) {
    if (error instanceof ProtocolError) return;
    throw error;
  }
  if (message.type === 'unknown') {
    expect(Array.isArray(message.keys)).toBe(true);
    return;
  }
  expect(RESPONSE_KINDS).toContain(message.type);
  // What the decoder returns has the types its schema promises.
  const schema = ResponseSchemas[message.type] as Schema;
  expect(conforms(schema, message as unknown as Record<string, unknown>)).toBe(true);
}

const fixtureDir = path.join(process.cwd(), 'spec/fixtures/real-daemon');
/** Bodies of the frames captured from the real kpclientd (prefix stripped). */
const realBodies = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => fromHex(readFileSync(path.join(fixtureDir, f), 'utf8').trim()).subarray(4));

const responseArb = messageArbitrary(ResponseSchemas as unknown as Record<string, Schema>);
const requestArb = messageArbitrary(RequestSchemas as unknown as Record<string, Schema>);

/** A valid daemon message body: a real captured one, or one encoded from a generated message. */
const validBodyArb = fc.oneof(
  fc.constantFrom(...realBodies),
  responseArb.map((m) => encodeDaemonMessage(m as unknown as OutgoingDaemonMessage)),
);

type Mutation = { at: number; op: 'flip' | 'set' | 'insert' | 'delete' | 'truncate'; byte: number };
const mutationArb = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
  // CBOR-significant bytes are likelier to reach deep paths than uniform noise.
  byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x18, 0x1b, 0x40, 0x5b, 0x60, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xd8, 0xf4, 0xf6, 0xf9, 0xfb, 0xff)),
}) as fc.Arbitrary<Mutation>;

function mutate(body: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = [...body];
  for (const { at, op, byte } of mutations) {
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    if (op === 'flip' && bytes.length > 0) bytes[i] = bytes[i]! ^ (1 << (byte & 7));
    else if (op === 'set' && bytes.length > 0) bytes[i] = byte;
    else if (op === 'insert') bytes.splice(i, 0, byte);
    else if (op === 'delete') bytes.splice(i, 1);
    else if (op === 'truncate') bytes = bytes.slice(0, i);
  }
  return Uint8Array.from(bytes);
}

/** Any CBOR-encodable value: the wrong type for most fields. */
const cborValueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.bigInt({ min: -(1n << 64n) + 1n, max: (1n << 64n) - 1n }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const cbor = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, pack: false });

/** `{ <known variant>: { <its wire keys, some>: <any values> } }`, the other variants null. */
const wrongTypesArb = fc.constantFrom(...RESPONSE_KINDS).chain((kind) => {
  const wires = Object.values(ResponseSchemas[kind] as Schema).map((f) => f.wire);
  const body = wires.length === 0 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...wires), cborValueArb, { maxKeys: wires.length });
  return fc.tuple(fc.constant(kind), fc.oneof(body, cborValueArb), fc.boolean());
});

describe('fuzz: codec', () => {
  it('decodeDaemonMessage on arbitrary bytes: a message or ProtocolError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => fuzzCase(() => decodeOrProtocolError(bytes))), params());
  }, faultSettings.testTimeoutMs);

  it('decodeDaemonMessage on mutated valid frames (real daemon captures and generated messages): a message or ProtocolError', () => {
    fc.assert(
      fc.property(validBodyArb, fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (body, mutations) =>
        fuzzCase(() => decodeOrProtocolError(mutate(body, mutations))),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);

  it('decodeDaemonMessage on well-formed CBOR with fields of any type: a message with schema types, or ProtocolError', () => {
    fc.assert(
      fc.property(wrongTypesArb, ([kind, body, allKeys]) =>
        fuzzCase(() => {
          const map: Record<string, unknown> = allKeys ? Object.fromEntries(RESPONSE_KINDS.map((k) => [k, null])) : {};
          map[kind] = body;
          decodeOrProtocolError(cbor.encode(map));
        }),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);

  it('encodeRequest → decodeRequest round-trips every valid request, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(requestArb, (request) =>
        fuzzCase(() => {
          const bytes = encodeRequest(request as unknown as Request);
          const decoded = decodeRequest(bytes);
          const schema = RequestSchemas[request.type as keyof typeof RequestSchemas] as Schema;
          const expected = { type: request.type, ...decodedBody(schema, request) };
          if (!sameValue(decoded, expected)) expect(decoded).toEqual(expected);
          if (Buffer.compare(encodeRequest(decoded as unknown as Request), bytes) !== 0) throw new Error('re-encoding the decoded request changed its bytes');
        }),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);

  it('encodeDaemonMessage → decodeDaemonMessage round-trips every daemon message', () => {
    fc.assert(
      fc.property(responseArb, (message) =>
        fuzzCase(() => {
          const decoded = decodeDaemonMessage(encodeDaemonMessage(message as unknown as OutgoingDaemonMessage));
          const schema = ResponseSchemas[message.type as keyof typeof ResponseSchemas] as Schema;
          const expected = { type: message.type, ...decodedBody(schema, message) };
          if (!sameValue({ ...decoded }, expected)) expect({ ...decoded }).toEqual(expected);
        }),
      ),
      params(),
    );
  }, faultSettings.testTimeoutMs);
});
