import { concatMap, map, type Observable } from 'rxjs';
import type { ClientContext } from '../client-context.js';
import { encryptRead } from '../pigeonhole/encrypt.js';
import type { EncryptResult } from '../pigeonhole/pigeonhole-types.js';
import { startResendingEncryptedMessage } from '../pigeonhole/start-resending.js';
import type { RequestOptions } from '../request-engine.js';
import { checkIndex, checkReadCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkFlag, checkRequestOptions } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';

/** Options of {@link ThinClient.read}. */
export interface ReadOptions extends RequestOptions {
  /**
   * Fail at once with `BoxIDNotFoundError` if the box is not written yet.
   * By default the daemon keeps retrying until it is (without a bound: pair
   * it with `timeoutMs`, or use `tail$` to wait for new boxes).
   */
  readonly noRetry?: boolean;
}

/** One box read back: its plaintext and where the next box is. */
export interface BoxRead {
  readonly plaintext: Uint8Array;
  /** The index of the box after this one. */
  readonly nextIndex: Uint8Array;
}

/**
 * Reads one box and emits its plaintext with the next index. A fresh
 * envelope is encrypted for every call: couriers cache replies per
 * envelope for minutes, so re-sending an old envelope could keep returning
 * a stale "not found". Tombstoned boxes fail with `TombstoneError`
 * (`isExpectedOutcome`). `envelope$` is that encryption, when the caller
 * has started it already (a stream preparing boxes ahead).
 */
export function readBox(
  ctx: ClientContext,
  readCap: Uint8Array,
  index: Uint8Array,
  options: ReadOptions = {},
  envelope$: Observable<EncryptResult> = encryptRead(ctx, readCap, index),
): Observable<BoxRead> {
  const { timeoutMs, noRetry = false } = options;
  // The timeout covers the whole read, the encryption step included.
  return envelope$.pipe(
    concatMap((envelope) =>
      startResendingEncryptedMessage(ctx, { readCap, messageBoxIndex: index, ...envelope, noRetryOnBoxIdNotFound: noRetry }).pipe(
        map((result) => ({ plaintext: result.plaintext ?? new Uint8Array(0), nextIndex: envelope.nextMessageBoxIndex })),
      ),
    ),
    withTimeout('read', timeoutMs, ctx.scheduler),
  );
}

/** The implementation of {@link ThinClient.read}, where it is documented. */
export function read(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, options: ReadOptions = {}): Observable<Uint8Array> {
  return withValidArguments(
    () => checkReadArguments(readCap, index, options),
    (checked) => readBox(ctx, readCap, index, checked).pipe(map((box) => box.plaintext)),
  );
}

/** The arguments every reader takes: a read cap, an index, and read options. */
export function checkReadArguments<O extends ReadOptions>(readCap: unknown, index: unknown, options: O | undefined): O {
  checkReadCap('readCap', readCap);
  checkIndex('index', index);
  const checked = checkRequestOptions(options);
  checkFlag('options.noRetry', checked.noRetry);
  return checked;
}
