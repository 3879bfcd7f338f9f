/**
 * The README's "A short tour", run as written — against a virtual daemon
 * whose time moves only when the tour is waiting — to its last line,
 * `await client.close()`, with no unhandled error on the way: the tour
 * leaves a `tail$(...).subscribe(render)` (and a progress subscription)
 * running without an error handler, and `close()` must end them cleanly.
 *
 * Time is virtual (a VirtualTimeScheduler advanced step by step while the
 * tour's promises settle), so the spec cannot flake on a loaded machine.
 */
import { VirtualTimeScheduler, config as rxjsConfig, firstValueFrom, lastValueFrom, scan, toArray } from 'rxjs';
import { ThinClient } from 'katzenpost-rx';
import { createVirtualDaemon } from 'katzenpost-rx/testing';

/** Advances `scheduler` in `stepMs` steps, letting promises settle between steps, until `work` ends. */
async function driveUntil<T>(scheduler: VirtualTimeScheduler, work: Promise<T>, stepMs = 50, limitMs = 30 * 60_000): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) {
    if (scheduler.now() > limitMs) throw new Error(`the tour did not finish within ${limitMs} virtual ms`);
    const until = scheduler.now() + stepMs;
    scheduler.maxFrames = until;
    scheduler.flush();
    scheduler.frame = until; // time passes even when nothing was due
    await new Promise((resolve) => setImmediate(resolve));
  }
  return result;
}

describe('README: A short tour', () => {
  it('runs to the end — close() included — without an unhandled error', async () => {
    const unhandled: unknown[] = [];
    const previous = rxjsConfig.onUnhandledError;
    rxjsConfig.onUnhandledError = (error) => unhandled.push(error);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const scheduler = new VirtualTimeScheduler();
    const daemon = createVirtualDaemon({ scheduler, horizonMs: 60 * 60_000 });
    const rendered: string[][] = [];
    const progress: number[] = [];
    try {
      const tour = async (): Promise<{ reply: Uint8Array; text: string; chunks: Uint8Array[] }> => {
        // ---- the README's tour, with loadConfig(…) replaced by the virtual daemon ----
        const client = new ThinClient(daemon.config, daemon.clientOptions());
        client.events$.subscribe((event) => void event.type);
        await client.connect();

        const echo = client.getService('echo');
        const reply = await firstValueFrom(client.send(new TextEncoder().encode('ping'), echo.toDestination()));

        const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
        const next = await firstValueFrom(client.write(writeCap, firstMessageIndex, new TextEncoder().encode('hello Bob')));
        const text = new TextDecoder().decode(await firstValueFrom(client.read(readCap, firstMessageIndex)));

        const fileBytes = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
        client.writeStream$(writeCap, next, fileBytes).subscribe((p) => progress.push(p.boxesDone / p.totalBoxes));
        const chunks = await lastValueFrom(client.readStream$(readCap, next).pipe(toArray()));

        client.tail$(readCap, firstMessageIndex)
          .pipe(scan((messages, m) => [...messages, new TextDecoder().decode(m.plaintext)], [] as string[]))
          .subscribe((messages) => rendered.push(messages));
        // (Let tail$ show what is there before closing.)
        await new Promise<void>((resolve) => {
          const check = (): void => void (rendered.length >= 2 ? resolve() : setImmediate(check));
          check();
        });

        await client.close();
        return { reply, text, chunks };
      };
      const { reply, text, chunks } = await driveUntil(scheduler, tour());
      // A little more virtual time: anything close() left running would fail now.
      // real-time: one macrotask turn while virtual time runs; the assertions follow in virtual time
      await driveUntil(scheduler, new Promise((resolve) => setTimeout(resolve, 0)), 60_000);

      expect(new TextDecoder().decode(reply.subarray(0, 4))).toBe('ping');
      expect(text).toBe('hello Bob');
      expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(5000);
      expect(rendered.at(-1)?.slice(0, 1)).toEqual(['hello Bob']);
      expect(progress.at(-1)).toBe(1);
      expect(unhandled).toEqual([]);
      expect(rejections).toEqual([]);
    } finally {
      rxjsConfig.onUnhandledError = previous;
      process.off('unhandledRejection', onRejection);
      daemon.dispose();
    }
  });
});
