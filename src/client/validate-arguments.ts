import type { Observable } from 'rxjs';

/**
 * Where every Observable-returning method meets its argument checks: `check`
 * validates (throwing `InvalidArgumentError` naming the argument) and
 * returns the normalised arguments, `run` builds the request from them.
 * Nothing reaches the wire unless `check` passed.
 *
 * Today a bad argument throws when the method is called, as the methods
 * always have. How argument errors are delivered is decided here alone:
 * delivering them on subscribe instead is the one line
 * `return defer(() => run(check()));`.
 *
 * @example
 * return withValidArguments(() => checkSecret('seed', seed, { length: 32 }), (seed) => ctx.requests.query({ … }));
 */
export function withValidArguments<A, T>(check: () => A, run: (args: A) => Observable<T>): Observable<T> {
  return run(check());
}
