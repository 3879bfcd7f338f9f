import { array, bacap, bool, bytes, structList, text, uint32, uint64, uint8 } from './fields.js';
import { WireSizes as S } from './constants.js';

const queryId = array('query_id', S.queryId);

/** One destination of `create_courier_envelopes_from_multi_payload`. */
export const DestinationPayloadSchema = {
  /** Plaintext for this destination (≤ 10 MiB). */
  payload: bytes('payload'),
  writeCap: bacap('write_cap', S.writeCap),
  startIndex: bacap('start_index', S.messageBoxIndex),
} as const;

/**
 * The 21 request variants (`client/thin/thin_messages.go` `Request`,
 * PROTOCOL.md §4), keyed by their wire key, fields in daemon struct order.
 */
export const RequestSchemas = {
  /** Resume or start a daemon session (PROTOCOL.md §3.2). */
  session_token: { clientInstanceToken: array('client_instance_token', S.instanceToken, { nonNull: true }) },
  /** Close the session for good: the daemon destroys all state. */
  thin_close: {},
  /** Legacy Sphinx send to a mixnet service. */
  send_message: {
    /** Echoed as `message_id` in events. */
    messageId: array('id', S.messageId),
    withSurb: bool('with_surb'),
    /** Required when `withSurb`: the reply is correlated on it. */
    surbId: array('surbid', S.surbId),
    destinationIdHash: array('destination_id_hash', S.hash),
    recipientQueueId: bytes('recipient_queue_id'),
    payload: bytes('payload'),
  },
  new_keypair: { queryId, seed: bytes('seed') },
  encrypt_read: { queryId, readCap: bacap('read_cap', S.readCap), messageBoxIndex: bacap('message_box_index', S.messageBoxIndex) },
  encrypt_write: {
    queryId,
    /** Empty = tombstone; null is refused. */
    plaintext: bytes('plaintext'),
    writeCap: bacap('write_cap', S.writeCap),
    messageBoxIndex: bacap('message_box_index', S.messageBoxIndex),
  },
  start_resending_encrypted_message: {
    queryId,
    readCap: bacap('read_cap', S.readCap),
    writeCap: bacap('write_cap', S.writeCap),
    /** Raw bytes (not length-checked by the daemon); needed for reads. */
    messageBoxIndex: bytes('message_box_index'),
    /** Accepted but unused by the v0.0.99 daemon. */
    replyIndex: uint8('reply_index', { omitEmpty: true }),
    envelopeDescriptor: bytes('envelope_descriptor'),
    messageCiphertext: bytes('message_ciphertext'),
    envelopeHash: array('envelope_hash', S.hash),
    noRetryOnBoxIdNotFound: bool('no_retry_on_box_id_not_found', { omitEmpty: true }),
    noIdempotentBoxAlreadyExists: bool('no_idempotent_box_already_exists', { omitEmpty: true }),
  },
  cancel_resending_encrypted_message: { queryId, envelopeHash: array('envelope_hash', S.hash) },
  start_resending_copy_command: {
    queryId,
    writeCap: bacap('write_cap', S.writeCap),
    courierIdentityHash: array('courier_identity_hash', S.hash, { omitEmpty: true }),
    courierQueueId: bytes('courier_queue_id', { omitEmpty: true }),
  },
  cancel_resending_copy_command: { queryId, writeCapHash: array('write_cap_hash', S.hash) },
  next_message_box_index: { queryId, messageBoxIndex: bacap('message_box_index', S.messageBoxIndex) },
  get_message_box_index_counter: { queryId, messageBoxIndex: bacap('message_box_index', S.messageBoxIndex) },
  /** `epoch` 0 = the daemon's current epoch. */
  get_pki_document: { queryId, epoch: uint64('epoch') },
  get_directory_authorities: { queryId },
  create_courier_envelopes_from_payload: {
    queryId,
    payload: bytes('payload'),
    destWriteCap: bacap('dest_write_cap', S.writeCap),
    destStartIndex: bacap('dest_start_index', S.messageBoxIndex),
    isStart: bool('is_start'),
    isLast: bool('is_last'),
  },
  create_courier_envelopes_from_multi_payload: {
    queryId,
    destinations: structList('destinations', DestinationPayloadSchema),
    isStart: bool('is_start'),
    isLast: bool('is_last'),
    /** Residual stream bytes from the previous call. */
    buffer: bytes('buffer'),
  },
  create_courier_envelopes_from_tombstone_range: {
    queryId,
    destWriteCap: bacap('dest_write_cap', S.writeCap),
    destStartIndex: bacap('dest_start_index', S.messageBoxIndex),
    maxCount: uint32('max_count'),
    isStart: bool('is_start'),
    isLast: bool('is_last'),
    buffer: bytes('buffer'),
  },
  voucher_mint: { queryId, messageWriteCap: bytes('message_write_cap'), displayName: text('display_name') },
  voucher_induct: { queryId, voucher: bytes('voucher'), voucherPayload: bytes('voucher_payload'), whoReply: bytes('who_reply') },
  voucher_open: {
    queryId,
    voucherSecretKey: bytes('voucher_secret_key'),
    sealedReply: bytes('sealed_reply'),
    messageWriteCap: bytes('message_write_cap'),
  },
  voucher_derive_stream: { queryId, voucher: bytes('voucher') },
} as const;

