import type { SecretBytes } from './secret-bytes.js';

/**
 * Field descriptors: one table (see `request-schemas.ts`,
 * `response-schemas.ts`) drives encoding and decoding in both directions,
 * for the client and for the simulator, and the TypeScript types of every
 * message. Each descriptor names the wire key (snake_case, or the Go field
 * name for untagged structs) and how its value is encoded (PROTOCOL.md §2.2).
 */

/** How a fixed-length byte string is treated when the daemon decodes it. */
export type FixedKind =
  /** Go `[N]byte`: the daemon silently zero-pads or truncates other lengths. */
  | 'array'
  /** BACAP binary (`WriteCap`, `ReadCap`, `MessageBoxIndex`): any other length closes the connection. */
  | 'bacap';

export interface BytesField {
  readonly kind: 'bytes';
  readonly wire: string;
  /** Exact length, when fixed. */
  readonly length?: number;
  readonly fixed?: FixedKind;
  /** Go non-pointer array: never null on the wire (null decodes as zeros). */
  readonly nonNull?: boolean;
  /** `omitempty`: left out of the map when null or empty. */
  readonly omitEmpty?: boolean;
  /** A secret (write capability, envelope descriptor …): decoded as a `SecretBytes`, which never prints. */
  readonly secret?: boolean;
}
export interface UintField {
  readonly kind: 'uint';
  readonly wire: string;
  /** Largest value the Go field holds (uint8, uint32, …); larger values are refused. */
  readonly max: number;
  readonly omitEmpty?: boolean;
}
/** A uint64 that may exceed 2^53 (Idx64 counters, failed envelope index): always a bigint. */
export interface Uint64Field {
  readonly kind: 'uint64';
  readonly wire: string;
  readonly omitEmpty?: boolean;
}
export interface BoolField {
  readonly kind: 'bool';
  readonly wire: string;
  readonly omitEmpty?: boolean;
}
export interface TextField {
  readonly kind: 'text';
  readonly wire: string;
  readonly omitEmpty?: boolean;
}
export interface BytesListField {
  readonly kind: 'bytesList';
  readonly wire: string;
  /** Exact length of each element, when fixed. */
  readonly length?: number;
}
export interface TextListField {
  readonly kind: 'textList';
  readonly wire: string;
}
/** A Go `error` interface: the v0.0.99 daemon only ever sends null. */
export interface ErrorField {
  readonly kind: 'error';
  readonly wire: string;
}
export interface StructField<S extends Schema = Schema> {
  readonly kind: 'struct';
  readonly wire: string;
  readonly schema: S;
}
export interface StructListField<S extends Schema = Schema> {
  readonly kind: 'structList';
  readonly wire: string;
  readonly schema: S;
}

export type Field =
  | BytesField
  | UintField
  | Uint64Field
  | BoolField
  | TextField
  | BytesListField
  | TextListField
  | ErrorField
  | StructField
  | StructListField;

/** A message body: our camelCase name → its field descriptor. */
export type Schema = { readonly [name: string]: Field };

/** Value types as decoded (every field present; Go zero values for absent ones). */
export type Decoded<F> = F extends BytesField
  ? F['secret'] extends true
    ? SecretBytes | null
    : F['nonNull'] extends true
      ? Uint8Array
      : Uint8Array | null
  : F extends UintField
    ? number
    : F extends Uint64Field
      ? bigint
      : F extends BoolField
        ? boolean
        : F extends TextField
          ? string
          : F extends BytesListField
            ? Uint8Array[] | null
            : F extends TextListField
              ? string[] | null
              : F extends ErrorField
                ? string | null
                : F extends StructField<infer S>
                  ? DecodedBody<S> | null
                  : F extends StructListField<infer S>
                    ? DecodedBody<S>[] | null
                    : never;

/** Value types accepted for encoding (absent = null / zero / omitted); secrets may stay wrapped. */
export type Encodable<F> = F extends BytesField
  ? Uint8Array | SecretBytes | null
  : F extends UintField
    ? number
    : F extends Uint64Field
      ? bigint | number
      : F extends BoolField
        ? boolean
        : F extends TextField
          ? string
          : F extends BytesListField
            ? readonly Uint8Array[] | null
            : F extends TextListField
              ? readonly string[] | null
              : F extends ErrorField
                ? string | null
                : F extends StructField<infer S>
                  ? EncodableBody<S> | null
                  : F extends StructListField<infer S>
                    ? readonly EncodableBody<S>[] | null
                    : never;

/** A decoded body: every field present. */
export type DecodedBody<S extends Schema> = { -readonly [K in keyof S]: Decoded<S[K]> };
/** A body to encode: every field optional. */
export type EncodableBody<S extends Schema> = { readonly [K in keyof S]?: Encodable<S[K]> | undefined };

// Builders, so the schema tables read like the Go structs they mirror.

export const bytes = (wire: string, options: Omit<BytesField, 'kind' | 'wire'> = {}): BytesField => ({ kind: 'bytes', wire, ...options });
/** Go `*[n]byte` / `[n]byte` (`nonNull` for the non-pointer form, which is never null). */
export const array = <O extends { readonly nonNull?: true; readonly omitEmpty?: true } = {}>(wire: string, length: number, options?: O) =>
  ({ kind: 'bytes', wire, length, fixed: 'array', ...(options ?? ({} as O)) }) as { readonly kind: 'bytes'; readonly wire: string; readonly length: number; readonly fixed: 'array' } & O;
/** BACAP binary of exact length (168 / 136 / 104). */
export const bacap = (wire: string, length: number) => ({ kind: 'bytes', wire, length, fixed: 'bacap' }) as const satisfies BytesField;
/** The same field, holding a secret (see {@link BytesField.secret}). */
export const secret = <F extends BytesField>(field: F) => ({ ...field, secret: true }) as F & { readonly secret: true };
export const uint8 = (wire: string, options: { omitEmpty?: true } = {}) => ({ kind: 'uint', wire, max: 0xff, ...options }) as const satisfies UintField;
export const uint32 = (wire: string) => ({ kind: 'uint', wire, max: 0xffff_ffff }) as const satisfies UintField;
/** A uint64 that stays below 2^53 in practice (epochs, seconds, nanoseconds). */
export const uintSafe = (wire: string) => ({ kind: 'uint', wire, max: Number.MAX_SAFE_INTEGER }) as const satisfies UintField;
export const uint64 = (wire: string, options: { omitEmpty?: true } = {}) => ({ kind: 'uint64', wire, ...options }) as const satisfies Uint64Field;
export const bool = (wire: string, options: { omitEmpty?: true } = {}) => ({ kind: 'bool', wire, ...options }) as const satisfies BoolField;
export const text = (wire: string, options: { omitEmpty?: true } = {}) => ({ kind: 'text', wire, ...options }) as const satisfies TextField;
export const bytesList = (wire: string, length?: number) =>
  ({ kind: 'bytesList', wire, ...(length === undefined ? {} : { length }) }) as const satisfies BytesListField;
export const textList = (wire: string) => ({ kind: 'textList', wire }) as const satisfies TextListField;
export const error = (wire: string) => ({ kind: 'error', wire }) as const satisfies ErrorField;
export const struct = <S extends Schema>(wire: string, schema: S) => ({ kind: 'struct', wire, schema }) as const;
export const structList = <S extends Schema>(wire: string, schema: S) => ({ kind: 'structList', wire, schema }) as const;
