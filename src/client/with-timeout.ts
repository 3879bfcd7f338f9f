import { throwError, timeout, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { RequestTimeoutError } from '../errors/local-errors.js';

/**
 * Fails with {@link RequestTimeoutError} when the first value does not come
 * within `ms` (on `scheduler`, so virtual time works); the source is then
 * unsubscribed, which runs its cleanup (and cancel, for ARQ operations).
 * No-op when `ms` is undefined.
 */
export function withTimeout<T>(request: string, ms: number | undefined, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  if (ms === undefined) return (source) => source;
  return timeout({ first: ms, with: () => throwError(() => new RequestTimeoutError(request, ms)), scheduler });
}
