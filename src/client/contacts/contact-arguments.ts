import { InvalidArgumentError } from '../../errors/local-errors.js';
import { sealedReplyLength, voucherPayloadLength } from '../../wire/voucher-sizes.js';
import type { ClientContext } from '../client-context.js';
import { checkBytes, describeValue } from '../validate.js';

/** A lone UTF-16 surrogate: CBOR text must be UTF-8, and an encoder would silently turn it into U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type GeometryContext = Pick<ClientContext, 'state'>;

/** The largest plaintext a box holds, once the handshake has told us. */
function boxSize(ctx: GeometryContext): number | undefined {
  return ctx.state().pigeonholeGeometry?.maxPlaintextPayloadLength;
}

/** Throws unless `bytes` (what `what` would be) fits in one box, once the geometry is known. */
function checkFitsBox(ctx: GeometryContext, name: string, what: string, bytes: number): void {
  const max = boxSize(ctx);
  if (max !== undefined && bytes > max) throw new InvalidArgumentError(name, `too long: ${what} would be ${bytes} bytes, and a box holds ${max}`);
}

/** A well-formed string (no lone surrogate); returns its UTF-8 length. */
export function checkText(name: string, value: unknown): number {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `expected a string, got ${describeValue(value)}`);
  const text = value;
  if (LONE_SURROGATE.test(text)) throw new InvalidArgumentError(name, 'expected well-formed Unicode (it has a lone surrogate)');
  return new TextEncoder().encode(text).length;
}

/** A display name for a voucher: its voucher payload (452 bytes + the name) must fit in box 0. */
export function checkDisplayName(ctx: GeometryContext, name: string, value: unknown): string {
  checkFitsBox(ctx, name, 'its voucher payload', voucherPayloadLength(checkText(name, value)));
  return value as string;
}

/** A `whoReply` for a voucher: its sealed reply (356 bytes + the reply) must fit in box 1. */
export function checkWhoReply(ctx: GeometryContext, name: string, value: unknown): Uint8Array {
  const bytes = checkBytes(name, value);
  checkFitsBox(ctx, name, 'the sealed reply', sealedReplyLength(bytes.length));
  return bytes;
}

/** Bytes that travel in one box (a voucher payload, a sealed reply): not empty, and no larger than a box. */
export function checkBoxBytes(ctx: GeometryContext, name: string, value: unknown): Uint8Array {
  const max = boxSize(ctx);
  return checkBytes(name, value, max === undefined ? { min: 1 } : { min: 1, max });
}
