import { ContactCardFormatError, InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { capFirstIndex } from '../../wire/cap-first-index.js';
import type { ClientContext } from '../client-context.js';
import { checkIndex, checkReadCap, describeValue } from '../validate.js';
import { checkText, checkWhoReply } from './contact-arguments.js';

/** What the inductor tells the joiner about itself: sealed in the answer, so only the joiner reads it. */
export interface ContactCard {
  /** Your name as the joiner will see it. */
  readonly displayName: string;
  /** The read capability of the channel you will write to the joiner on (136 bytes). */
  readonly readCap: Uint8Array;
  /** Where the joiner starts reading it (104 bytes; default: the read cap's own index, its first box). */
  readonly startIndex?: Uint8Array | undefined;
}

/*
 * The card as `whoReply` bytes: "kprxc" (5) ‖ version 1 (1) ‖ read cap (136)
 * ‖ start index (104) ‖ display name (UTF-8, the rest). The voucher
 * requests treat `whoReply` as opaque; this is the two-call flow's format.
 */
const MAGIC = [0x6b, 0x70, 0x72, 0x78, 0x63];
const VERSION = 1;
const HEAD = MAGIC.length + 1;
const FIXED = HEAD + WireSizes.readCap + WireSizes.messageBoxIndex;

/**
 * `card` (the argument `name`) checked: an object with a well-formed
 * display name, a 136-byte read cap and an optional 104-byte start index,
 * whose sealed answer fits in box 1. Returns it encoded.
 */
export function checkContactCard(ctx: Pick<ClientContext, 'state'>, name: string, card: unknown): Uint8Array {
  if (card === null || typeof card !== 'object' || Array.isArray(card)) throw new InvalidArgumentError(name, `expected a contact card object, got ${describeValue(card)}`);
  const { displayName, readCap, startIndex } = card as Partial<ContactCard>;
  checkCardDisplayName(ctx, `${name}.displayName`, displayName);
  checkReadCap(`${name}.readCap`, readCap);
  if (startIndex !== undefined) checkIndex(`${name}.startIndex`, startIndex);
  return encodeContactCard(card as ContactCard);
}

/** A card's display name (the argument `name`): well-formed, and short enough for the sealed card to fit in box 1. */
export function checkCardDisplayName(ctx: Pick<ClientContext, 'state'>, name: string, displayName: unknown): string {
  checkWhoReply(ctx, name, new Uint8Array(FIXED + checkText(name, displayName)));
  return displayName as string;
}

/** The card's bytes (see the layout above). */
function encodeContactCard(card: ContactCard): Uint8Array {
  const name = new TextEncoder().encode(card.displayName);
  const out = new Uint8Array(FIXED + name.length);
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  out.set(card.readCap, HEAD);
  out.set(card.startIndex ?? capFirstIndex(card.readCap), HEAD + WireSizes.readCap);
  out.set(name, FIXED);
  return out;
}

/** A card read back from an opened answer; throws `ContactCardFormatError` for anything else. */
export function decodeContactCard(bytes: Uint8Array): { readonly displayName: string; readonly readCap: Uint8Array; readonly startIndex: Uint8Array } {
  if (bytes.length < FIXED || !MAGIC.every((b, i) => bytes[i] === b)) throw new ContactCardFormatError('no contact card header');
  if (bytes[MAGIC.length] !== VERSION) throw new ContactCardFormatError(`card version ${bytes[MAGIC.length]} is not supported (expected ${VERSION})`);
  let displayName: string;
  try {
    displayName = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED));
  } catch {
    throw new ContactCardFormatError('the display name is not UTF-8');
  }
  return {
    displayName,
    readCap: bytes.slice(HEAD, HEAD + WireSizes.readCap),
    startIndex: bytes.slice(HEAD + WireSizes.readCap, FIXED),
  };
}
