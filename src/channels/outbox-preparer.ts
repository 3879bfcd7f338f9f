import { concatMap, defer, forkJoin, from, map, of, toArray, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import type { RandomSource } from '../core/random-source.js';
import { ProtocolError } from '../errors/local-errors.js';
import { WireSizes } from '../wire/constants.js';
import { checkCopyItems, checkPayload, checkTombstoneCount, type CopyItem } from './channel-arguments.js';
import type { ChannelJournal, QueuedOperation, Reservation } from './channel-journal.js';
import type { ChannelLocks } from './channel-locks.js';
import type { OutboxEntry, OutboxSlot } from './channel-types.js';

/**
 * Prepares sends and queues them (the journal's rule 1): reserves the next
 * boxes of a channel, has the daemon encrypt for them — local requests,
 * which need no mixnet — and stores the exact result in the outbox. Each
 * method is a cold Observable that emits the queued entries once; it holds
 * the channels' locks from the reservation to the queueing.
 *
 * Unsubscribing before the queueing transaction starts leaves nothing
 * behind (no entry, no box reserved); once it has started it commits, and
 * the entry is queued like any other.
 */
export class OutboxPreparer {
  constructor(
    private readonly client: ThinClient,
    private readonly journal: ChannelJournal,
    private readonly locks: ChannelLocks,
    private readonly random: RandomSource,
  ) {}

  /** Encrypts `plaintext` for the next free box of `name` and queues it. */
  message$(name: string, plaintext: Uint8Array): Observable<OutboxEntry> {
    return defer(() => {
      checkPayload('plaintext', plaintext);
      return this.reserved$([name], ([reserved]) =>
        this.client.encryptWrite(plaintext, reserved!.record.writeCap!, reserved!.tail.index).pipe(
          map((envelope): QueuedOperation[] => [
            {
              slots: [{ channel: name, position: reserved!.tail.position, count: 1, boxIndex: reserved!.tail.index, nextIndex: envelope.nextMessageBoxIndex, plaintext }],
              operation: {
                kind: 'box',
                tombstone: false,
                messageCiphertext: envelope.messageCiphertext,
                envelopeDescriptor: envelope.envelopeDescriptor.exposeBytes(),
                envelopeHash: envelope.envelopeHash,
              },
            },
          ]),
        ),
      ).pipe(map(([entry]) => entry!));
    });
  }

  /** Queues tombstones for the next `count` free boxes of `name`, one entry per box. */
  tombstones$(name: string, count: number): Observable<OutboxEntry[]> {
    return defer(() => {
      if (checkTombstoneCount(count) === 0) return of([]);
      return this.reserved$([name], ([reserved]) =>
        this.client.tombstoneRange(reserved!.record.writeCap!, reserved!.tail.index, count).pipe(
          map((range) =>
            range.envelopes.map(
              (envelope, i): QueuedOperation => ({
                slots: [
                  {
                    channel: name,
                    position: reserved!.tail.position + i,
                    count: 1,
                    boxIndex: envelope.boxIndex,
                    nextIndex: range.envelopes[i + 1]?.boxIndex ?? range.next,
                    plaintext: new Uint8Array(0),
                  },
                ],
                operation: {
                  kind: 'box',
                  tombstone: true,
                  messageCiphertext: envelope.messageCiphertext,
                  envelopeDescriptor: envelope.envelopeDescriptor.exposeBytes(),
                  envelopeHash: envelope.envelopeHash,
                },
              }),
            ),
          ),
        ),
      );
    });
  }

  /**
   * Queues an atomic copy of payloads to one or more owned channels: the
   * copy-stream elements are created now (local), stored with a fresh
   * temporary-channel seed, and each destination's boxes are reserved.
   */
  copy$(items: readonly CopyItem[]): Observable<OutboxEntry> {
    return defer(() => {
      const names = checkCopyItems(items).map((item) => item.channel);
      return this.reserved$(names, (reserved) =>
        this.client
          .createCourierEnvelopesFromMultiPayload(
            items.map((item, i) => ({ payload: item.payload, writeCap: reserved[i]!.record.writeCap!, startIndex: reserved[i]!.tail.index })),
            true,
            true,
            null,
          )
          .pipe(
            concatMap((created) => {
              const nexts = created.nextDestIndices;
              if (nexts === null || nexts.length !== items.length || created.envelopes.length === 0) {
                throw new ProtocolError('create_courier_envelopes_from_multi_payload: expected one next index per destination and at least one element');
              }
              return this.boxCounts$(reserved, nexts).pipe(
                map((counts): QueuedOperation[] => [
                  {
                    slots: items.map(
                      (item, i): OutboxSlot => ({
                        channel: item.channel,
                        position: reserved[i]!.tail.position,
                        count: counts[i]!,
                        boxIndex: reserved[i]!.tail.index,
                        nextIndex: nexts[i]!,
                        plaintext: item.payload,
                      }),
                    ),
                    operation: { kind: 'copy', tempSeed: this.random(WireSizes.seed), elements: created.envelopes },
                  },
                ]),
              );
            }),
          ),
      ).pipe(map(([entry]) => entry!));
    });
  }

  /** Under the channels' locks: reserves their next boxes, prepares the operations for them, and queues those. */
  private reserved$(names: readonly string[], prepare: (reserved: Reservation[]) => Observable<QueuedOperation[]>): Observable<OutboxEntry[]> {
    return this.locks.hold$(names, () =>
      this.journal.reserve$(names).pipe(concatMap((reserved) => prepare(reserved).pipe(concatMap((operations) => this.journal.queue$(reserved, operations))))),
    );
  }

  /** How many boxes each destination's range `[start, next)` spans. */
  private boxCounts$(reserved: readonly Reservation[], nexts: readonly Uint8Array[]): Observable<number[]> {
    return from(reserved).pipe(
      concatMap(({ tail }, i) =>
        forkJoin([this.client.getMessageBoxIndexCounter(tail.index), this.client.getMessageBoxIndexCounter(nexts[i]!)]).pipe(map(([from, to]) => Number(to - from))),
      ),
      toArray(),
    );
  }
}
