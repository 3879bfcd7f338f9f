/**
 * Waits until `condition()` holds, checking on every macrotask turn, or
 * fails after `timeoutMs` with `what` in the message. For daemon-side state
 * that has no wire event of its own (e.g. a session entering its grace
 * period after a socket closed).
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
