import fc from 'fast-check';
import type { Field, Schema } from '../../../src/wire/fields.js';
import { SecretBytes } from '../../../src/wire/secret-bytes.js';

/**
 * fast-check arbitraries derived from the wire schema tables, so the fuzz
 * tests cover every request and response variant and every field kind
 * without a hand-written generator per message, plus the value each field
 * must decode to (Go zero values for absent fields, PROTOCOL.md §2.2).
 */

/** A valid value for one field as given to the encoder (may be absent, null or zero). */
export function fieldArbitrary(field: Field): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case 'bytes': {
      const bytes =
        field.length !== undefined
          ? fc.uint8Array({ minLength: field.length, maxLength: field.length })
          : fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1020, maxLength: 1100 }) });
      return fc.oneof({ weight: 4, arbitrary: bytes }, { weight: 1, arbitrary: fc.constant(null) });
    }
    case 'uint':
      return fc.oneof(fc.integer({ min: 0, max: Math.min(field.max, 255) }), fc.integer({ min: 0, max: field.max }));
    case 'uint64':
      return fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.constant(0n));
    case 'bool':
      return fc.boolean();
    case 'text':
      return fc.string({ unit: 'grapheme', maxLength: 20 });
    case 'error':
      return fc.option(fc.string({ maxLength: 20 }), { nil: null });
    case 'bytesList': {
      const item = field.length !== undefined ? fc.uint8Array({ minLength: field.length, maxLength: field.length }) : fc.uint8Array({ maxLength: 40 });
      return fc.option(fc.array(item, { maxLength: 4 }), { nil: null });
    }
    case 'textList':
      return fc.option(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 4 }), { nil: null });
    case 'struct':
      return fc.option(bodyArbitrary(field.schema), { nil: null });
    case 'structList':
      return fc.option(fc.array(bodyArbitrary(field.schema), { maxLength: 3 }), { nil: null });
  }
}

/** A body of `schema` with any subset of its fields present. */
export function bodyArbitrary(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of Object.keys(schema)) model[name] = fieldArbitrary(schema[name]!);
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
}

/** A message `{ type, ...body }` of any variant of `schemas`. */
export function messageArbitrary(schemas: Readonly<Record<string, Schema>>): fc.Arbitrary<{ type: string } & Record<string, unknown>> {
  return fc.constantFrom(...Object.keys(schemas)).chain((type) => bodyArbitrary(schemas[type]!).map((body) => ({ type, ...body })));
}

/**
 * Deep equality for decoded values (bytes compared as bytes, bigints by
 * value): much faster than Jest's `toEqual` on large byte arrays, so
 * properties call `toEqual` only to print the difference.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // A secret decodes wrapped: the same bytes, in a SecretBytes.
  if (a instanceof SecretBytes) return (b instanceof SecretBytes || b instanceof Uint8Array) && a.equals(b);
  if (b instanceof SecretBytes) return a instanceof Uint8Array && b.equals(a);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** What a field given to the encoder as `value` decodes to. */
export function decodedValue(field: Field, value: unknown): unknown {
  switch (field.kind) {
    case 'bytes': {
      if (value === undefined || value === null) return field.nonNull ? new Uint8Array(field.length ?? 0) : null;
      const bytes = value as Uint8Array;
      if (field.omitEmpty && bytes.length === 0) return field.nonNull ? new Uint8Array(field.length ?? 0) : null;
      return bytes;
    }
    case 'uint':
      return value ?? 0;
    case 'uint64':
      return BigInt((value as number | bigint | undefined) ?? 0);
    case 'bool':
      return value ?? false;
    case 'text':
      return value ?? '';
    case 'error':
      return typeof value === 'string' ? value : null;
    case 'bytesList':
    case 'textList':
      return value ?? null;
    case 'struct':
      return value === undefined || value === null ? null : decodedBody(field.schema, value as Record<string, unknown>);
    case 'structList':
      return value === undefined || value === null ? null : (value as Record<string, unknown>[]).map((item) => decodedBody(field.schema, item));
  }
}

/** What a body given to the encoder decodes to: every field present. */
export function decodedBody(schema: Schema, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema)) out[name] = decodedValue(schema[name]!, body[name]);
  return out;
}

/**
 * Whether a decoded body has the types its schema promises (what an
 * application may rely on after `decodeDaemonMessage` returned).
 */
export function conforms(schema: Schema, body: Record<string, unknown>): boolean {
  return Object.keys(schema).every((name) => fieldConforms(schema[name]!, body[name]));
}

function fieldConforms(field: Field, value: unknown): boolean {
  switch (field.kind) {
    case 'bytes':
      if (value === null) return !field.nonNull;
      // Secrets decode as SecretBytes (they never print), everything else as plain bytes.
      if (!(field.secret ? value instanceof SecretBytes : value instanceof Uint8Array)) return false;
      return field.length === undefined || (value as Uint8Array | SecretBytes).length === field.length;
    case 'uint':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= field.max;
    case 'uint64':
      return typeof value === 'bigint' && value >= 0n;
    case 'bool':
      return typeof value === 'boolean';
    case 'text':
      return typeof value === 'string';
    case 'error':
      return value === null || typeof value === 'string';
    case 'bytesList':
      return value === null || (Array.isArray(value) && value.every((v) => v instanceof Uint8Array && (field.length === undefined || v.length === field.length)));
    case 'textList':
      return value === null || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'struct':
      return value === null || (typeof value === 'object' && conforms(field.schema, value as Record<string, unknown>));
    case 'structList':
      return value === null || (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && conforms(field.schema, v as Record<string, unknown>)));
  }
}
