import { hangDeadline } from '../../support/hang-deadline.js';

/**
 * Waits until `condition()` holds, checking on every macrotask turn, or
 * fails after a generous hang deadline with `what` in the message. For daemon-side state
 * that has no wire event of its own (e.g. a session entering its grace
 * period after a socket closed).
 */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = hangDeadline();
  while (!condition()) {
    if (deadline.expired()) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
