import type { SchedulerLike } from 'rxjs';
import type { ClientContext } from '../../src/client/client-context.js';
import { SecretBytes } from '../../src/wire/secret-bytes.js';
import type { DaemonMessage, DecodedRequest } from '../../src/wire/messages.js';
import { counterIds, ScriptedLink, type Responder, type ScriptedReply } from './scripted-link.js';
import { sessionHarness } from './session-harness.js';

export type { Responder, ScriptedReply } from './scripted-link.js';

/** A box index whose first 8 bytes (LE) are `n`: `indexOf(n)`, and back with `counterOf`. */
export function indexOf(n: number): Uint8Array {
  const index = new Uint8Array(104);
  new DataView(index.buffer).setBigUint64(0, BigInt(n), true);
  return index;
}
export function counterOf(index: Uint8Array): number {
  return Number(new DataView(index.buffer, index.byteOffset, 8).getBigUint64(0, true));
}

/**
 * A ClientContext over a real Session whose requests are answered by a
 * script in virtual time: the request path is the real one (encode,
 * correlation table, decode of the routed reply), only the daemon is fake.
 * Connected at time 0, synchronously.
 */
export function scriptedContext(scheduler: SchedulerLike, respond: Responder) {
  const link = new ScriptedLink(scheduler, { respond });
  const { session, engine } = sessionHarness(scheduler, [link]);
  session.connect().subscribe();
  const ctx: ClientContext = {
    requests: engine,
    encryptions: engine,
    encryptionConnections: 0,
    ids: counterIds(),
    scheduler,
    state: () => session.state,
    state$: session.state$,
    randomBytes: (n) => new Uint8Array(n).fill(7),
  };
  return { ctx, sent: link.sent, engine, session, link };
}

/** Answers the local requests the stream helpers use (index arithmetic, encryption). */
export function localReply(request: DecodedRequest): ScriptedReply[] | null {
  switch (request.type) {
    case 'next_message_box_index':
      return [{ delay: 0, message: { type: 'next_message_box_index_reply', queryId: request.queryId, nextMessageBoxIndex: indexOf(counterOf(request.messageBoxIndex!) + 1), errorCode: 0 } }];
    case 'encrypt_read':
    case 'encrypt_write': {
      const n = counterOf(request.messageBoxIndex!);
      const envelopeHash = new Uint8Array(32);
      new DataView(envelopeHash.buffer).setUint32(0, n, false);
      envelopeHash[31] = request.type === 'encrypt_read' ? 1 : 2;
      return [
        {
          delay: 0,
          message: {
            type: `${request.type}_reply`,
            queryId: request.queryId,
            messageCiphertext: indexOf(n).subarray(0, 8),
            envelopeDescriptor: SecretBytes.from(new Uint8Array([1])),
            envelopeHash,
            nextMessageBoxIndex: indexOf(n + 1),
            errorCode: 0,
          } as DaemonMessage,
        },
      ];
    }
    default:
      return null;
  }
}

/** The box counter a start_resending read or write is about (from the scripted ciphertext). */
export function boxOf(request: DecodedRequest): number {
  if (request.type !== 'start_resending_encrypted_message') throw new Error(`not a start_resending: ${request.type}`);
  return counterOf(request.messageCiphertext!.length >= 8 ? padIndex(request.messageCiphertext!) : indexOf(0));
}

function padIndex(prefix: Uint8Array): Uint8Array {
  const index = new Uint8Array(104);
  index.set(prefix.subarray(0, 8));
  return index;
}

export function startReply(request: DecodedRequest, errorCode: number, plaintext: Uint8Array | null = null): DaemonMessage {
  const queryId = (request as { queryId: Uint8Array | null }).queryId;
  return { type: 'start_resending_encrypted_message_reply', queryId, plaintext, errorCode, courierIdentityHash: null, courierQueueId: null };
}
