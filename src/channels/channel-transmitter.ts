import { catchError, concat, concatMap, defer, EMPTY, finalize, from, ignoreElements, map, merge, share, throwError, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import type { RandomSource } from '../core/random-source.js';
import { BoxAlreadyExistsError } from '../errors/replica-errors.js';
import { CopyCommandFailedError } from '../errors/thin-client-errors.js';
import { WireSizes } from '../wire/constants.js';
import { ChannelOutOfStepError, OutboxDeliveryError } from './channel-errors.js';
import type { ChannelJournal } from './channel-journal.js';
import type { BoxWriteOperation, CopyOperation, OutboxEntry, SentMessage } from './channel-types.js';

/** Replica error code BoxAlreadyExists (PROTOCOL.md §7.2). */
const BOX_ALREADY_EXISTS = 10;

/** What the transmitter needs besides the client and the journal. */
export interface TransmitterOptions {
  /** Write the first box of each channel strictly (`ChannelManagerOptions.verifyNextBox`). */
  readonly verifyNextBox: boolean;
  /** For a copy's fresh temporary-channel seed. */
  readonly random: RandomSource;
}

/**
 * Sends queued outbox entries — the stored bytes, as they are — through
 * the client's cold Observables, and commits them in the journal (rules 2
 * and 3 of {@link ChannelJournal}). Every method is a cold Observable:
 * subscribing transmits, unsubscribing cancels.
 *
 * **Cancelling.** Unsubscribing unsubscribes the daemon request in flight,
 * which sends the daemon its cancel (`cancel_resending_encrypted_message`
 * for a box write or a copy's temporary-channel write,
 * `cancel_resending_copy_command` for the copy command). The entry stays
 * queued exactly as it was — same ciphertext, same reserved boxes,
 * `attempts` unchanged (a cancel is not a failure) — and `recover()`,
 * `flush()` or the channel's next send transmits it later. A packet the
 * daemon had already sent may still land; the re-send then is an identical
 * re-write, which the replicas accept. Cancelled after the daemon's
 * confirmation but before the commit transaction, the box is written and
 * the entry still queued: the re-send is again an identical re-write. A
 * commit transaction already started completes: the send is then done and
 * in the sent history, only its report is not delivered.
 *
 * One transmission per entry runs at a time, shared by everyone waiting
 * for it (a send waiting for an older entry, a flush, a recovery of
 * another channel of the same copy); it is cancelled when the last of
 * them unsubscribes.
 */
export class ChannelTransmitter {
  private readonly inflight = new Map<number, Observable<SentMessage[]>>();
  /** Channels whose next box this transmitter has found free (or ours): later writes need no check. */
  private readonly inStep = new Set<string>();

  constructor(
    private readonly client: ThinClient,
    private readonly journal: ChannelJournal,
    private readonly options: TransmitterOptions,
  ) {}

  /** Transmits and commits entry `seq` of `name` (after the older entries of its channels); emits its sent records. Failures become `OutboxDeliveryError` (the entry stays queued). */
  deliver$(name: string, seq: number): Observable<SentMessage[]> {
    return this.transmit$(seq).pipe(
      catchError((error: unknown) =>
        throwError(() => (error instanceof OutboxDeliveryError || error instanceof ChannelOutOfStepError ? error : new OutboxDeliveryError(name, seq, error))),
      ),
    );
  }

  /** Transmits every queued entry of `name`, in order, emitting each of its sent records. */
  flush$(name: string): Observable<SentMessage> {
    return this.journal.outboxOf$(name).pipe(
      concatMap((entries) => from(entries)),
      concatMap((entry) => this.deliver$(name, entry.seq)),
      concatMap((sent) => sent.filter((s) => s.channel === name)),
    );
  }

  /**
   * Flushes every channel with queued entries, channels in parallel, each
   * in order; emits the sent records as they are committed. A channel's
   * failure does not stop the others: the first failure is reported once
   * all have finished.
   */
  recover$(): Observable<SentMessage> {
    return this.journal.outboxChannels$().pipe(
      concatMap(({ channels }) => {
        const failures: unknown[] = [];
        const flushes = channels.map((name) =>
          this.flush$(name).pipe(
            catchError((error: unknown) => {
              failures.push(error);
              return EMPTY;
            }),
          ),
        );
        return concat(
          merge(...flushes),
          defer(() => (failures.length > 0 ? throwError(() => failures[0]) : EMPTY)),
        );
      }),
    );
  }

  /** The one running transmission of `seq`, or a new one. */
  private transmit$(seq: number): Observable<SentMessage[]> {
    return defer(() => {
      const running = this.inflight.get(seq);
      if (running !== undefined) return running;
      const started: Observable<SentMessage[]> = this.run$(seq).pipe(
        finalize(() => {
          if (this.inflight.get(seq) === started) this.inflight.delete(seq);
        }),
        share(),
      );
      this.inflight.set(seq, started);
      return started;
    });
  }

  private run$(seq: number): Observable<SentMessage[]> {
    return this.journal.queued$(seq).pipe(
      concatMap(({ entry, before }) => {
        // Committed meanwhile (by another handle or an earlier call): report what was stored.
        if (entry === undefined) return this.journal.committed$(seq);
        return concat(
          // Rule 3: the boxes before ours in each chain are confirmed first.
          from(before).pipe(
            concatMap((older) => this.transmit$(older.seq)),
            ignoreElements(),
          ),
          this.send$(entry).pipe(
            ignoreElements(),
            catchError((error: unknown) => this.recordFailure$(entry, error)),
          ),
          this.journal.commit$(entry),
        );
      }),
    );
  }

  /** Sends the stored operation as it is: the same bytes every time. */
  private send$(entry: OutboxEntry): Observable<unknown> {
    const operation = entry.operation;
    return operation.kind === 'box' ? this.boxWrite$(entry, operation) : this.copy$(entry, operation);
  }

  private boxWrite$(entry: OutboxEntry, operation: BoxWriteOperation): Observable<unknown> {
    const name = entry.slots[0]!.channel;
    return this.journal.destination$(name).pipe(
      concatMap((record) => {
        if (record?.writeCap == null) return EMPTY; // deleted meanwhile: the commit drops the entry
        // The first write of a channel in this transmitter's life is made strictly: a box
        // that already holds other content means the store is behind the channel (a
        // restored backup), and the default, idempotent write would report success
        // while the message vanished. Our own earlier write of this very entry is no
        // conflict: it is the same ciphertext, which replicas accept. One more round
        // trip, once per channel; after it, this transmitter is the channel's only writer.
        const strict = this.options.verifyNextBox && !this.inStep.has(name);
        return this.client
          .startResendingEncryptedMessage({
            writeCap: record.writeCap,
            messageCiphertext: operation.messageCiphertext,
            envelopeDescriptor: operation.envelopeDescriptor,
            envelopeHash: operation.envelopeHash,
            noIdempotentBoxAlreadyExists: strict,
          })
          .pipe(
            map(() => this.inStep.add(name)),
            catchError((error: unknown) => throwError(() => (error instanceof BoxAlreadyExistsError ? new ChannelOutOfStepError(name, entry.seq) : error))),
          );
      }),
    );
  }

  /**
   * A copy: the same temporary channel (deterministic in its seed) and the
   * same elements, so a re-run after a crash or a cancel writes identical
   * boxes and the courier returns its cached result if it already executed
   * it.
   */
  private copy$(entry: OutboxEntry, operation: CopyOperation): Observable<unknown> {
    return this.runCopy$(operation.tempSeed, operation.elements).pipe(
      catchError((error: unknown) => {
        if (!(error instanceof CopyCommandFailedError)) return throwError(() => error);
        // A destination box held other content (replica code 10): out of step, as for a box write.
        if (error.replicaErrorCode === BOX_ALREADY_EXISTS) return throwError(() => new ChannelOutOfStepError(entry.slots[0]!.channel, entry.seq));
        // The temporary channel may be spent: after a successful copy the
        // courier tombstones it, so re-running it on another courier (no
        // cached result there) fails on the tombstones — and a failure is
        // cached for 30 minutes. The elements do not depend on the temporary
        // channel and their destination envelopes are byte-identical, so
        // replaying them through a fresh one is an identical re-write at
        // every destination. Persist the new seed first, then retry once.
        const fresh = this.options.random(WireSizes.seed);
        return this.journal.replaceOperation$(entry.seq, { ...operation, tempSeed: fresh }).pipe(concatMap(() => this.runCopy$(fresh, operation.elements)));
      }),
    );
  }

  /** Writes the copy-stream elements to the temporary channel of `seed` from its first box, one after another, then has a courier execute them. */
  private runCopy$(seed: Uint8Array, elements: readonly Uint8Array[]): Observable<unknown> {
    return this.client.newKeypair(seed).pipe(
      concatMap((temp) => {
        let index = temp.firstMessageIndex;
        return concat(
          from(elements).pipe(
            concatMap((element) => this.client.write(temp.writeCap, index, element)),
            map((next) => void (index = next)),
            ignoreElements(),
          ),
          defer(() => this.client.startResendingCopyCommand(temp.writeCap)),
        );
      }),
    );
  }

  /** Records the failure (a copy also gets a fresh temporary channel: a courier caches a failure per temporary channel for 30 minutes), then fails with it. */
  private recordFailure$(entry: OutboxEntry, error: unknown): Observable<never> {
    const freshSeed = entry.operation.kind === 'copy' && error instanceof CopyCommandFailedError ? this.options.random(WireSizes.seed) : undefined;
    return this.journal.recordFailure$(entry.seq, describeError(error), freshSeed).pipe(concatMap(() => throwError(() => error)));
  }
}

function describeError(error: unknown): string {
  // Error names and messages of this SDK never carry secrets.
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
