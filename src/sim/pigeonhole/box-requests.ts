import { WireSizes } from '../../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../../wire/messages.js';
import type { LocalContext } from '../local-context.js';
import { encodeCourierQuery } from './courier-query.js';
import { capPublicKey, idx64, keypairFromSeed, nextIndex } from './fake-bacap.js';

/** Thin-client error codes used here (PROTOCOL.md §7.1). */
const InvalidRequest = 3;
const InternalError = 4;

/** The box-level local requests this module answers. */
export type BoxRequest = Extract<
  DecodedRequest,
  { type: 'new_keypair' | 'encrypt_read' | 'encrypt_write' | 'next_message_box_index' | 'get_message_box_index_counter' }
>;

/**
 * Answers the box-level local requests with the daemon's validations, in
 * its order (DAEMON.md §2): `new_keypair`, `encrypt_read`, `encrypt_write`,
 * `next_message_box_index`, `get_message_box_index_counter`. Error replies
 * carry only `query_id` and `error_code`.
 *
 * @example
 * handleBoxRequest(context, { type: 'new_keypair', queryId, seed }); // new_keypair_reply
 */
export function handleBoxRequest(context: LocalContext, request: BoxRequest): OutgoingDaemonMessage {
  switch (request.type) {
    case 'new_keypair': {
      const { queryId, seed } = request;
      // Shorter seeds fail the length check, longer ones the ChaCha20 key check: both 3.
      if (seed === null || seed.length !== WireSizes.seed) return { type: 'new_keypair_reply', queryId, errorCode: InvalidRequest };
      const keypair = keypairFromSeed(seed);
      return {
        type: 'new_keypair_reply',
        queryId,
        writeCap: keypair.writeCap,
        readCap: keypair.readCap,
        firstMessageIndex: keypair.firstIndex,
        errorCode: 0,
      };
    }
    case 'encrypt_read': {
      const { queryId, readCap, messageBoxIndex } = request;
      const fail = (errorCode: number): OutgoingDaemonMessage => ({ type: 'encrypt_read_reply', queryId, errorCode });
      if (readCap === null || messageBoxIndex === null) return fail(InvalidRequest);
      if (context.pki.currentDocumentEpoch() === null) return fail(InternalError);
      // MKEM needs two replicas from the document.
      if (context.pki.storageReplicas < 2) return fail(InternalError);
      const next = nextIndex(messageBoxIndex);
      if (next === null) return fail(InternalError);
      const query = encodeCourierQuery(
        {
          op: 'read',
          replicaEpoch: context.pki.replicaEpoch(),
          publicKey: capPublicKey(readCap),
          index: messageBoxIndex,
          plaintext: new Uint8Array(0),
        },
        context.geometry.pigeonhole.courierQueryReadLength,
        context.random,
      );
      return { type: 'encrypt_read_reply', queryId, ...query, nextMessageBoxIndex: next, errorCode: 0 };
    }
    case 'encrypt_write': {
      const { queryId, plaintext, writeCap, messageBoxIndex } = request;
      const fail = (errorCode: number): OutgoingDaemonMessage => ({ type: 'encrypt_write_reply', queryId, errorCode });
      if (writeCap === null || messageBoxIndex === null || plaintext === null) return fail(InvalidRequest);
      // The document check comes before the size check.
      if (context.pki.currentDocumentEpoch() === null) return fail(InternalError);
      if (plaintext.length > context.geometry.pigeonhole.maxPlaintextPayloadLength) return fail(InvalidRequest);
      if (context.pki.storageReplicas < 2) return fail(InternalError);
      const next = nextIndex(messageBoxIndex);
      if (next === null) return fail(InternalError);
      let query;
      try {
        query = encodeCourierQuery(
          {
            // An empty byte string (not null) is a tombstone.
            op: plaintext.length === 0 ? 'tombstone' : 'write',
            replicaEpoch: context.pki.replicaEpoch(),
            publicKey: capPublicKey(writeCap),
            index: messageBoxIndex,
            plaintext,
          },
          context.geometry.pigeonhole.courierQueryWriteLength,
          context.random,
        );
      } catch {
        return fail(InternalError);
      }
      return { type: 'encrypt_write_reply', queryId, ...query, nextMessageBoxIndex: next, errorCode: 0 };
    }
    case 'next_message_box_index': {
      const { queryId, messageBoxIndex } = request;
      if (messageBoxIndex === null) return { type: 'next_message_box_index_reply', queryId, errorCode: InvalidRequest };
      const next = nextIndex(messageBoxIndex);
      if (next === null) return { type: 'next_message_box_index_reply', queryId, errorCode: InternalError };
      return { type: 'next_message_box_index_reply', queryId, nextMessageBoxIndex: next, errorCode: 0 };
    }
    case 'get_message_box_index_counter': {
      const { queryId, messageBoxIndex } = request;
      if (messageBoxIndex === null) return { type: 'get_message_box_index_counter_reply', queryId, errorCode: InvalidRequest };
      return { type: 'get_message_box_index_counter_reply', queryId, counter: idx64(messageBoxIndex), errorCode: 0 };
    }
  }
}
