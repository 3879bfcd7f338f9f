import { BoxAlreadyExistsError, BoxIDNotFoundError, TombstoneError } from './replica-errors.js';

/**
 * True for the replica outcomes that are answers, not failures, and must
 * not trigger retries: the box is not written yet (BoxIDNotFound), it holds
 * other content (BoxAlreadyExists), or it was tombstoned (Tombstone) — as
 * Go's `IsExpectedOutcome`.
 *
 * @example
 * read$.pipe(catchError((err) => (isExpectedOutcome(err) ? EMPTY : throwError(() => err))));
 */
export function isExpectedOutcome(err: unknown): boolean {
  return err instanceof BoxIDNotFoundError || err instanceof BoxAlreadyExistsError || err instanceof TombstoneError;
}
