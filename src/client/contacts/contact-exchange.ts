import { catchError, concatMap, forkJoin, map, take, throwError, type Observable } from 'rxjs';
import { InviteClosedError } from '../../errors/local-errors.js';
import { BoxAlreadyExistsError } from '../../errors/replica-errors.js';
import { capFirstIndex } from '../../wire/cap-first-index.js';
import { redacted } from '../../wire/redacted.js';
import { SecretBytes, type SecretInput } from '../../wire/secret-bytes.js';
import type { ClientContext } from '../client-context.js';
import { nextMessageBoxIndex } from '../pigeonhole/message-box-index.js';
import type { RequestOptions } from '../request-engine.js';
import { tail$ } from '../streams/tail.js';
import { write } from '../streams/write.js';
import { checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkDelayMs, checkRequestOptions } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';
import { checkBoxBytes, checkDisplayName } from './contact-arguments.js';
import { checkContactCard, decodeContactCard, type ContactCard } from './contact-card.js';
import { encodeInvite, parseInvite } from './invite-code.js';
import { checkPendingInvite, type PendingInvite } from './pending-invite.js';
import { voucherDeriveStream, voucherInduct, voucherMint, voucherOpen } from './voucher-requests.js';
import type { VoucherInductResult } from './voucher-types.js';

/*
 * The contact exchange in two calls, built only from the voucher requests
 * and the box helpers (`write`, `tail$`):
 *
 *   joiner:   voucherMint → write box 0 → (invite string out of band) →
 *             poll box 1 → voucherOpen → tombstone box 0
 *   inductor: parse the invite → voucherDeriveStream → poll box 0 →
 *             voucherInduct → write box 1 (first answer wins)
 *
 * Box 0 and box 1 are the first two boxes of the voucher stream, whose caps
 * anyone with the voucher derives. The joiner tombstones box 0 once it has
 * the answer: the invite is spent (a second inductor finds the tombstone),
 * and the joiner's introduction is gone from the replicas. Box 1 stays, so
 * a joiner that crashed before keeping the contact reads the same answer
 * again (opening it is deterministic).
 */

/** The other side of a contact: how to read what they write to you. */
export interface Contact {
  /** Their name, as they gave it. */
  readonly displayName: string;
  /** Their channel's read capability (136 bytes). */
  readonly readCap: Uint8Array;
  /** The first box of theirs to read (104 bytes). */
  readonly readIndex: Uint8Array;
}

/** The joiner's result: the inductor's side, and your channel as the exchange left it. */
export interface AcceptedContact extends Contact {
  /**
   * Your channel's write cap after the exchange (salt-mutated: the inductor
   * reads exactly this sequence). Write to them with it — not with the cap
   * you passed to `invite`. Secret.
   */
  readonly writeCap: SecretBytes;
  /** The first box to write with {@link writeCap} (104 bytes). */
  readonly writeIndex: Uint8Array;
}

/** What `invite` emits. */
export interface Invitation {
  /** The `kprxinvite1:` string to hand to the inductor out of band (60 characters; a bearer token). */
  readonly invite: string;
  /** What to keep (persist it with `encodePendingInvite`) to resume the wait after a restart. */
  readonly pending: PendingInvite;
  /** Emits the contact once the answer is there, then completes: `awaitAcceptance(pending)`, cold. */
  readonly accepted: Observable<AcceptedContact>;
}

/** How `awaitAcceptance` and `acceptInvite` poll for a box that is not written yet. */
export interface ExchangeOptions extends RequestOptions {
  /** First wait after the box was found empty (default 2 s). */
  readonly initialDelayMs?: number;
  /** The wait doubles up to this (default 60 s): a waiting invite costs one read per this. */
  readonly maxDelayMs?: number;
  /** `timeoutMs` bounds the whole call (default: none — an invite may be answered days later). */
  readonly timeoutMs?: number;
}

/** The voucher stream's caps and its two boxes. */
interface VoucherStream {
  readonly writeCap: SecretBytes;
  readonly readCap: Uint8Array;
  readonly box0: Uint8Array;
  readonly box1: Uint8Array;
}

export interface Polling {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number | undefined;
}

/** `options` of a call that polls, checked, with the polling defaults filled in. */
export function checkExchangeOptions(options: ExchangeOptions | undefined): Polling {
  const checked = checkRequestOptions(options);
  const initialDelayMs = checkDelayMs('options.initialDelayMs', checked.initialDelayMs, 2000);
  return { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, checkDelayMs('options.maxDelayMs', checked.maxDelayMs, 60_000)), timeoutMs: checked.timeoutMs };
}

/** The voucher stream of `voucher`: its caps (local) and the indices of boxes 0 and 1 (local). */
function voucherStream(ctx: ClientContext, voucher: SecretInput): Observable<VoucherStream> {
  return voucherDeriveStream(ctx, voucher).pipe(
    concatMap(({ voucherWriteCap, voucherReadCap }) => {
      const box0 = capFirstIndex(voucherReadCap);
      return nextMessageBoxIndex(ctx, box0).pipe(map((box1) => ({ writeCap: voucherWriteCap, readCap: voucherReadCap, box0, box1 })));
    }),
  );
}

/** The content of a box once it is written, polling politely; a tombstone means the invite was closed. */
function whenWritten(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, polling: Polling, box: string): Observable<Uint8Array> {
  return tail$(ctx, readCap, index, { initialDelayMs: polling.initialDelayMs, maxDelayMs: polling.maxDelayMs }).pipe(
    take(1),
    map((message) => {
      if (message.tombstone) throw new InviteClosedError(`${box} holds a tombstone`);
      return message.plaintext;
    }),
  );
}

/** Mints a voucher for `myWriteCap`: the pending invite, nothing published yet. */
function mintInvite(ctx: ClientContext, myWriteCap: SecretInput, displayName: string, options?: RequestOptions): Observable<PendingInvite> {
  return voucherMint(ctx, myWriteCap, displayName, options).pipe(
    map((minted) =>
      redacted({
        voucher: minted.voucher,
        voucherPayload: minted.voucherPayload,
        voucherSecretKey: minted.voucherSecretKey,
        messageWriteCap: SecretBytes.from(myWriteCap),
        displayName,
      }),
    ),
  );
}

/** Writes the joiner's payload into box 0 (again, after a crash: an identical re-write). */
function publishInvite(ctx: ClientContext, pending: PendingInvite, options?: RequestOptions): Observable<void> {
  return voucherStream(ctx, pending.voucher).pipe(
    concatMap((stream) => write(ctx, stream.writeCap, stream.box0, pending.voucherPayload, options)),
    map(() => undefined),
  );
}

/** The implementation of {@link ThinClient.invite}, where it is documented. */
export function invite(ctx: ClientContext, myWriteCap: SecretInput, displayName: string, options?: RequestOptions): Observable<Invitation> {
  return withValidArguments(
    () => {
      checkWriteCap('myWriteCap', myWriteCap);
      checkDisplayName(ctx, 'displayName', displayName);
      return checkRequestOptions(options);
    },
    (checked) =>
      mintInvite(ctx, myWriteCap, displayName).pipe(
        concatMap((pending) =>
          publishInvite(ctx, pending).pipe(
            map(() => redacted({ invite: encodeInvite(pending.voucher), pending, accepted: awaitAcceptance(ctx, pending) })),
          ),
        ),
        withTimeout('invite', checked.timeoutMs, ctx.scheduler),
      ),
  );
}

/** Joiner: the answer in box 1, opened; box 0 tombstoned (the invite is spent). */
function openAnswer(ctx: ClientContext, pending: PendingInvite, polling: Polling): Observable<AcceptedContact> {
  return voucherStream(ctx, pending.voucher).pipe(
    concatMap((stream) =>
      whenWritten(ctx, stream.readCap, stream.box1, polling, 'box 1').pipe(
        concatMap((sealed) => voucherOpen(ctx, pending.voucherSecretKey, sealed, pending.messageWriteCap)),
        concatMap((opened) => {
          const card = decodeContactCard(opened.whoReply);
          const contact: AcceptedContact = redacted({
            displayName: card.displayName,
            readCap: card.readCap,
            readIndex: card.startIndex,
            writeCap: opened.mutatedMessageWriteCap,
            writeIndex: capFirstIndex(opened.mutatedMessageWriteCap),
          });
          return write(ctx, stream.writeCap, stream.box0, new Uint8Array(0)).pipe(map(() => contact));
        }),
      ),
    ),
  );
}

/** The implementation of {@link ThinClient.awaitAcceptance}, where it is documented. */
export function awaitAcceptance(ctx: ClientContext, pending: PendingInvite, options?: ExchangeOptions): Observable<AcceptedContact> {
  return withValidArguments(
    () => {
      checkPendingInvite(pending);
      return checkExchangeOptions(options);
    },
    (polling) => openAnswer(ctx, pending, polling).pipe(withTimeout('awaitAcceptance', polling.timeoutMs, ctx.scheduler)),
  );
}

/** Inductor, before anything is written: box 0 read and verified, the answer sealed. */
function inductInvite(
  ctx: ClientContext,
  voucher: SecretInput,
  card: Uint8Array,
  polling: Polling,
): Observable<{ readonly stream: VoucherStream; readonly inducted: VoucherInductResult }> {
  return voucherStream(ctx, voucher).pipe(
    concatMap((stream) =>
      whenWritten(ctx, stream.readCap, stream.box0, polling, 'box 0').pipe(
        concatMap((payload) => voucherInduct(ctx, voucher, payload, card)),
        map((inducted) => ({ stream, inducted })),
      ),
    ),
  );
}

/**
 * Inductor: writes the sealed answer into box 1. The first answer
 * wins; an identical re-write (a retry) succeeds, a different one fails
 * with `InviteClosedError`.
 */
function writeAnswer(ctx: ClientContext, stream: VoucherStream, sealedReply: Uint8Array): Observable<void> {
  return write(ctx, stream.writeCap, stream.box1, sealedReply, { failIfBoxExists: true }).pipe(
    map(() => undefined),
    catchError((error: unknown) => throwError(() => (error instanceof BoxAlreadyExistsError ? new InviteClosedError('box 1 holds another answer') : error))),
  );
}

/** The inductor's view of the joiner. */
function joinerContact(inducted: VoucherInductResult): Contact {
  return redacted({
    displayName: inducted.displayName,
    readCap: inducted.mutatedMessageReadCap,
    readIndex: capFirstIndex(inducted.mutatedMessageReadCap),
  });
}

/** What `sealInviteAnswer` emits: the answer to write into box 1, and the joiner. */
export interface SealedInviteAnswer {
  /** Your card sealed to the joiner: what `writeInviteAnswer` writes into box 1. Store it to write the same bytes again after a crash. */
  readonly sealedReply: Uint8Array;
  /** The joiner as a contact. */
  readonly joiner: Contact;
}

/** The implementation of {@link ThinClient.sealInviteAnswer}, where it is documented. */
export function sealInviteAnswer(ctx: ClientContext, inviteText: string, myReply: ContactCard, options?: ExchangeOptions): Observable<SealedInviteAnswer> {
  return withValidArguments(
    () => ({ voucher: parseInvite(inviteText), card: checkContactCard(ctx, 'myReply', myReply), polling: checkExchangeOptions(options) }),
    ({ voucher, card, polling }) =>
      inductInvite(ctx, voucher, card, polling).pipe(
        map(({ inducted }) => redacted({ sealedReply: inducted.sealedReply, joiner: joinerContact(inducted) })),
        withTimeout('sealInviteAnswer', polling.timeoutMs, ctx.scheduler),
      ),
  );
}

/** The implementation of {@link ThinClient.writeInviteAnswer}, where it is documented. */
export function writeInviteAnswer(ctx: ClientContext, inviteText: string, sealedReply: Uint8Array, options?: RequestOptions): Observable<void> {
  return withValidArguments(
    () => ({ voucher: parseInvite(inviteText), sealed: checkBoxBytes(ctx, 'sealedReply', sealedReply), checked: checkRequestOptions(options) }),
    ({ voucher, sealed, checked }) =>
      voucherStream(ctx, voucher).pipe(
        concatMap((stream) => writeAnswer(ctx, stream, sealed)),
        withTimeout('writeInviteAnswer', checked.timeoutMs, ctx.scheduler),
      ),
  );
}

/** The implementation of {@link ThinClient.acceptInvite}, where it is documented. */
export function acceptInvite(ctx: ClientContext, inviteText: string, myReply: ContactCard, options?: ExchangeOptions): Observable<Contact> {
  return withValidArguments(
    () => ({ voucher: parseInvite(inviteText), card: checkContactCard(ctx, 'myReply', myReply), polling: checkExchangeOptions(options) }),
    ({ voucher, card, polling }) =>
      inductInvite(ctx, voucher, card, polling).pipe(
        concatMap(({ stream, inducted }) => writeAnswer(ctx, stream, inducted.sealedReply).pipe(map(() => joinerContact(inducted)))),
        withTimeout('acceptInvite', polling.timeoutMs, ctx.scheduler),
      ),
  );
}

/** The implementation of {@link ThinClient.withdrawInvite}, where it is documented. */
export function withdrawInvite(ctx: ClientContext, pending: PendingInvite, options?: RequestOptions): Observable<void> {
  return withValidArguments(
    () => {
      checkPendingInvite(pending);
      return checkRequestOptions(options);
    },
    (checked) =>
      voucherStream(ctx, pending.voucher).pipe(
        concatMap((stream) => forkJoin([write(ctx, stream.writeCap, stream.box0, new Uint8Array(0)), write(ctx, stream.writeCap, stream.box1, new Uint8Array(0))])),
        map(() => undefined),
        withTimeout('withdrawInvite', checked.timeoutMs, ctx.scheduler),
      ),
  );
}
