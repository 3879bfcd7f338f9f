import { defer, type Observable } from 'rxjs';

/**
 * Where every Observable-returning method meets its argument checks, and
 * the one place that decides how a bad argument is reported (README,
 * "Conventions"): `check` validates (throwing `InvalidArgumentError` naming
 * the argument) and returns the normalised arguments, `run` builds the
 * request from them.
 *
 * The checks run on subscribe and a failure arrives as the Observable's
 * error, never as a throw from the call: a method called inside `defer`,
 * `switchMap` or `concatMap` then behaves exactly like one subscribed
 * directly, and `catchError` sees every failure. Nothing reaches the wire
 * unless `check` passed. Checks that depend on the connection (a plaintext
 * against the geometry's box size) see the state at subscription, when the
 * request is actually made.
 *
 * @example
 * return withValidArguments(() => checkSecret('seed', seed, { length: 32 }), (seed) => ctx.requests.query({ … }));
 */
export function withValidArguments<A, T>(check: () => A, run: (args: A) => Observable<T>): Observable<T> {
  return defer(() => run(check()));
}
