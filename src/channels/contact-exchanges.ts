import { concatMap, defer, map, of, throwError, type Observable } from 'rxjs';
import { checkDisplayName } from '../client/contacts/contact-arguments.js';
import { checkCardDisplayName } from '../client/contacts/contact-card.js';
import { checkExchangeOptions, type AcceptedContact, type Contact, type ExchangeOptions } from '../client/contacts/contact-exchange.js';
import { encodeInvite, parseInvite } from '../client/contacts/invite-code.js';
import type { PendingInvite } from '../client/contacts/pending-invite.js';
import type { RequestOptions } from '../client/request-engine.js';
import { checkRequestOptions } from '../client/validate-options.js';
import { bytesEqual } from '../core/hex.js';
import { WireSizes } from '../wire/constants.js';
import { readCapOfWriteCap } from '../wire/read-cap-of.js';
import { SecretBytes } from '../wire/secret-bytes.js';
import { checkChannelName } from './channel-arguments.js';
import { ContactExistsError, ContactNotFoundError } from './channel-errors.js';
import type { ChannelLayer } from './channel-layer.js';
import type { StoreTransaction } from './channel-store.js';
import type { ChannelRecord, ContactRecord, ExchangeInfo, ExchangeRecord, InductorExchangeRecord, JoinerExchangeRecord } from './channel-types.js';
import type { DurabilityStep } from './durability-step.js';

/** What a contact's two channels are called: `<contact>/out` (you write) and `<contact>/in` (you read). */
export function contactChannels(name: string): { readonly sendChannel: string; readonly receiveChannel: string } {
  return { sendChannel: `${name}/out`, receiveChannel: `${name}/in` };
}

/** A contact name: a channel name with room for the `/out` and `/in` suffixes. */
function checkContactName(name: unknown): string {
  checkChannelName(name);
  return checkChannelName(contactChannels(name as string).sendChannel, 'name');
}

/** Fails unless `name` is free as a contact, an exchange and both channel names. */
function requireFree(tx: StoreTransaction, name: string): void {
  const { sendChannel, receiveChannel } = contactChannels(name);
  if (tx.contact(name) !== undefined || tx.exchange(name) !== undefined || tx.channel(sendChannel) !== undefined || tx.channel(receiveChannel) !== undefined) {
    throw new ContactExistsError(name);
  }
}

/** A stored channel record, dated `createdAt`, starting at `index` (owned: written from there; else read from there). */
function channelRecord(name: string, readCap: Uint8Array, index: Uint8Array, writeCap: Uint8Array | null, createdAt: number): ChannelRecord {
  return {
    name,
    owned: writeCap !== null,
    writeCap,
    readCap,
    firstIndex: index,
    firstPosition: 0,
    writeIndex: writeCap === null ? null : index,
    writePosition: 0,
    readIndex: index,
    readPosition: 0,
    createdAt,
  };
}

function pendingInvite(record: JoinerExchangeRecord): PendingInvite {
  return {
    voucher: SecretBytes.from(record.voucher),
    voucherPayload: record.voucherPayload,
    voucherSecretKey: SecretBytes.from(record.voucherSecretKey),
    messageWriteCap: SecretBytes.from(record.messageWriteCap),
    displayName: record.displayName,
  };
}

/**
 * @internal The contact exchange over the channel layer: the client's
 * two-call flow, with its state in the store so that a restart resumes it.
 * The orderings, and why each is crash-safe:
 *
 * - **Joiner.** A fresh channel keypair, `client.invite` (mint and publish
 *   box 0), then one transaction storing the exchange (`invite:stored`);
 *   only then is the invite string returned. A crash before it leaves an
 *   introduction in box 0 that nobody was told about. Waiting
 *   (`client.awaitAcceptance`) is resumable from the stored record: the
 *   answer stays in box 1 and opens the same way again (`invite:opened`),
 *   so one transaction can then store both channels and the contact and
 *   drop the exchange (`invite:committed`).
 * - **Inductor.** A fresh keypair and `client.sealInviteAnswer` (read box
 *   0, verify, seal; nothing written), then one transaction storing the
 *   channel whose read cap the answer carries and the exchange with the
 *   sealed answer (`accept:sealed`). Only then is box 1 written
 *   (`accept:answered`): a crash re-writes the very same bytes, which box 1
 *   accepts, where a fresh seal would be refused. Then one transaction
 *   stores the joiner's channel and the contact and drops the exchange
 *   (`accept:committed`).
 */
export class ContactExchanges {
  constructor(private readonly layer: ChannelLayer) {}

  private step$(step: DurabilityStep, name: string, box: number): Observable<void> {
    return this.layer.journal.step$({ step, channel: name, position: box });
  }

  invite(name: string, displayName: string, options?: RequestOptions): Observable<string> {
    const { client, journal, random } = this.layer;
    return defer(() => {
      // Every argument checked before the first request (the keypair).
      checkContactName(name);
      checkDisplayName({ state: () => client.state }, 'displayName', displayName);
      checkRequestOptions(options);
      return journal.transaction$((tx) => requireFree(tx, name)).pipe(
        concatMap(() => client.newKeypair(random(WireSizes.seed))),
        concatMap((keys) => client.invite(keys.writeCap, displayName, options)),
        concatMap(({ invite, pending }) =>
          journal
            .transaction$((tx) => {
              requireFree(tx, name);
              tx.putExchange({
                name,
                role: 'joiner',
                displayName: pending.displayName,
                // The store persists the bytes themselves (it is created 0600).
                voucher: pending.voucher.exposeBytes(),
                voucherPayload: pending.voucherPayload,
                voucherSecretKey: pending.voucherSecretKey.exposeBytes(),
                messageWriteCap: pending.messageWriteCap.exposeBytes(),
                createdAt: this.now(),
              });
            })
            .pipe(
              concatMap(() => this.step$('invite:stored', name, 0)),
              map(() => invite),
            ),
        ),
      );
    });
  }

  /** The invite string of the joiner's exchange `name`, to show it again. */
  inviteString(name: string): Observable<string> {
    return this.exchangeOf$(name, 'joiner').pipe(map((record) => encodeInvite(record.voucher)));
  }

  acceptInvite(name: string, invite: string, displayName: string, options?: ExchangeOptions): Observable<ContactRecord> {
    const { client, journal, random } = this.layer;
    return defer(() => {
      checkContactName(name);
      const voucher = parseInvite(invite).exposeBytes();
      checkCardDisplayName({ state: () => client.state }, 'displayName', displayName);
      checkExchangeOptions(options);
      return journal.transaction$((tx) => tx.exchange(name)).pipe(
        concatMap((stored) => {
          // A resume (same name, same invite): write the stored answer again.
          if (stored?.role === 'inductor' && bytesEqual(stored.voucher, voucher)) return this.finishAccepting(stored, options);
          return journal.transaction$((tx) => requireFree(tx, name)).pipe(
            concatMap(() => client.newKeypair(random(WireSizes.seed))),
            concatMap((keys) =>
              client.sealInviteAnswer(invite, { displayName, readCap: keys.readCap, startIndex: keys.firstMessageIndex }, options).pipe(
                concatMap(({ sealedReply, joiner }) =>
                  journal.transaction$((tx) => {
                    requireFree(tx, name);
                    const createdAt = this.now();
                    tx.insertChannel(channelRecord(contactChannels(name).sendChannel, keys.readCap, keys.firstMessageIndex, keys.writeCap.exposeBytes(), createdAt));
                    const record: InductorExchangeRecord = {
                      name,
                      role: 'inductor',
                      voucher,
                      sealedReply,
                      displayName: joiner.displayName,
                      readCap: joiner.readCap,
                      readIndex: joiner.readIndex,
                      createdAt,
                    };
                    tx.putExchange(record);
                    return record;
                  }),
                ),
              ),
            ),
            concatMap((record) => this.step$('accept:sealed', name, 1).pipe(concatMap(() => this.finishAccepting(record, options)))),
          );
        }),
      );
    });
  }

  /** Writes the stored answer into box 1 (again, after a crash) and makes the joiner a contact. */
  private finishAccepting(record: InductorExchangeRecord, options?: RequestOptions): Observable<ContactRecord> {
    const joiner: Contact = { displayName: record.displayName, readCap: record.readCap, readIndex: record.readIndex };
    return this.layer.client.writeInviteAnswer(encodeInvite(record.voucher), record.sealedReply, options).pipe(
      concatMap(() => this.step$('accept:answered', record.name, 1)),
      concatMap(() => this.commit$(record.name, 'inductor', joiner, null)),
      concatMap((contact) => this.step$('accept:committed', record.name, 1).pipe(map(() => contact))),
    );
  }

  /** Continues the exchange `name` to its contact (joiner: waits for the answer); emits the contact at once if it is complete. */
  complete(name: string, options?: ExchangeOptions): Observable<ContactRecord> {
    return defer(() => {
      checkContactName(name);
      checkExchangeOptions(options);
      return this.layer.journal.transaction$((tx) => ({ exchange: tx.exchange(name), contact: tx.contact(name) }));
    }).pipe(
      concatMap(({ exchange, contact }) => {
        if (exchange === undefined) return contact === undefined ? throwError(() => new ContactNotFoundError(name)) : of(contact);
        if (exchange.role === 'inductor') return this.finishAccepting(exchange, options);
        return this.layer.client.awaitAcceptance(pendingInvite(exchange), options).pipe(
          concatMap((accepted) => this.step$('invite:opened', name, 1).pipe(map(() => accepted))),
          concatMap((accepted) => this.commit$(name, 'joiner', accepted, accepted)),
          concatMap((stored) => this.step$('invite:committed', name, 1).pipe(map(() => stored))),
        );
      }),
    );
  }

  /**
   * One transaction: the contact's channels (the inductor's send channel
   * is stored already) and the contact record, the exchange dropped. A
   * second completion of the same exchange (two subscribers, a resume)
   * finds it done and emits the stored contact.
   */
  private commit$(name: string, role: 'joiner' | 'inductor', them: Contact, mine: AcceptedContact | null): Observable<ContactRecord> {
    return this.layer.journal.transaction$((tx) => {
      if (tx.exchange(name) === undefined) {
        // Done meanwhile (two subscribers, a resume) — or cancelled.
        const done = tx.contact(name);
        if (done === undefined) throw new ContactNotFoundError(name);
        return done;
      }
      const createdAt = this.now();
      const { sendChannel, receiveChannel } = contactChannels(name);
      if (mine !== null) {
        const writeCap = mine.writeCap.exposeBytes();
        tx.insertChannel(channelRecord(sendChannel, readCapOfWriteCap(writeCap), mine.writeIndex, writeCap, createdAt));
      }
      tx.insertChannel(channelRecord(receiveChannel, them.readCap, them.readIndex, null, createdAt));
      const contact: ContactRecord = { name, displayName: them.displayName, sendChannel, receiveChannel, role, createdAt };
      tx.insertContact(contact);
      tx.deleteExchange(name);
      return contact;
    });
  }

  /**
   * Gives up the exchange `name`. Joiner: withdraws the invite (tombstones
   * its boxes), then forgets it. Inductor: forgets it and the unused send
   * channel (an answer already written stays; the joiner then writes to
   * nobody).
   */
  cancel(name: string, options?: RequestOptions): Observable<void> {
    return defer(() => {
      checkRequestOptions(options);
      return this.exchangeOf$(name);
    }).pipe(
      concatMap((record) => (record.role === 'joiner' ? this.layer.client.withdrawInvite(pendingInvite(record), options) : of(undefined))),
      concatMap(() =>
        this.layer.journal.transaction$((tx) => {
          const record = tx.exchange(name);
          if (record?.role === 'inductor') tx.deleteChannel(contactChannels(name).sendChannel);
          tx.deleteExchange(name);
        }),
      ),
    );
  }

  exchanges(): Observable<ExchangeInfo[]> {
    return this.layer.journal.transaction$((tx) =>
      tx.exchanges().map(({ name, role, displayName, createdAt }): ExchangeInfo => ({ name, role, displayName, createdAt })),
    );
  }

  contacts(): Observable<ContactRecord[]> {
    return this.layer.journal.transaction$((tx) => tx.contacts());
  }

  contact(name: string): Observable<ContactRecord> {
    return defer(() => {
      checkContactName(name);
      return this.layer.journal.transaction$((tx) => {
        const contact = tx.contact(name);
        if (contact === undefined) throw new ContactNotFoundError(name);
        return contact;
      });
    });
  }

  /** The stored exchange `name` (of `role`, if given), or `ContactNotFoundError`. */
  private exchangeOf$<R extends ExchangeRecord['role']>(name: string, role?: R): Observable<Extract<ExchangeRecord, { role: R }>> {
    return defer(() => {
      checkContactName(name);
      return this.layer.journal.transaction$((tx) => {
        const record = tx.exchange(name);
        if (record === undefined || (role !== undefined && record.role !== role)) throw new ContactNotFoundError(name);
        return record as Extract<ExchangeRecord, { role: R }>;
      });
    });
  }

  private now(): number {
    return this.layer.now();
  }}
