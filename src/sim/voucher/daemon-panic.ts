/**
 * Where kpclientd v0.0.99 panics while serving a local request: its
 * dispatcher recovers, logs, and sends no reply at all (measured on the
 * real daemon, e.g. an induct whose payload has no public key). The
 * simulator throws this at the same points; its dispatcher does the same.
 */
export class SimDaemonPanic extends Error {
  override readonly name = 'SimDaemonPanic';
}
