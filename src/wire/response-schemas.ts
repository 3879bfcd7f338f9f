import { WireSizes as S } from './constants.js';
import { array, bacap, bool, bytes, bytesList, error, secret, struct, structList, text, textList, uint64, uint8, uintSafe } from './fields.js';
import { PigeonholeGeometrySchema, SphinxGeometrySchema } from './geometry-schemas.js';

const queryId = array('query_id', S.queryId);
const errorCode = uint8('error_code');

/** An element of `get_directory_authorities_reply.authorities`. */
export const DirectoryAuthoritySchema = {
  identifier: text('identifier'),
  pkiSignatureScheme: text('pki_signature_scheme'),
  wireKemScheme: text('wire_kem_scheme'),
  addresses: textList('addresses'),
  identityPublicKeyPem: text('identity_public_key_pem'),
  linkPublicKeyPem: text('link_public_key_pem'),
  /** BLAKE2b-256 of the identity key: the key of certificate signatures. */
  identityKeyHash: array('identity_key_hash', S.hash, { nonNull: true }),
} as const;

const encryptReply = {
  queryId,
  /** The CourierQuery to hand to `start_resending_encrypted_message`. */
  messageCiphertext: bytes('message_ciphertext'),
  /** Secret: contains a NIKE private key. */
  envelopeDescriptor: secret(bytes('envelope_descriptor')),
  envelopeHash: array('envelope_hash', S.hash),
  /** The index after the one encrypted for. */
  nextMessageBoxIndex: bacap('next_message_box_index', S.messageBoxIndex),
  errorCode,
} as const;

/**
 * The 25 response variants in the daemon's encoding order
 * (`client/thin/thin_events.go`, `Response`; PROTOCOL.md §5). The daemon
 * sends all 25 keys with null for every variant but one.
 */
export const ResponseSchemas = {
  session_token_reply: { appId: bytes('app_id'), resumed: bool('resumed') },
  shutdown_event: {},
  connection_status_event: {
    /** The daemon's link to the mixnet; false = offline mode. */
    isConnected: bool('is_connected'),
    err: error('err'),
    /** Identifies the daemon process: changes when it restarts. */
    instanceToken: array('instance_token', S.instanceToken, { nonNull: true }),
    sphinxGeometry: struct('sphinx_geometry', SphinxGeometrySchema),
    pigeonholeGeometry: struct('pigeonhole_geometry', PigeonholeGeometrySchema),
  },
  new_pki_document_event: {
    /** CBOR PKI document (signatures stripped); null if the daemon had none. */
    payload: bytes('payload'),
  },
  message_sent_event: {
    messageId: array('message_id', S.messageId),
    surbId: array('surbid', S.surbId),
    /** Unix seconds. */
    sentAt: uintSafe('sent_at'),
    /** Expected round trip in nanoseconds. */
    replyEta: uintSafe('reply_eta'),
    /** Absent on success; the daemon's error text on failure. */
    err: text('err', { omitEmpty: true }),
  },
  message_reply_event: {
    messageId: array('message_id', S.messageId),
    surbId: array('surbid', S.surbId),
    payload: bytes('payload'),
    replyIndex: uint8('reply_index', { omitEmpty: true }),
    errorCode,
  },
  message_id_garbage_collected: { messageId: array('message_id', S.messageId) },
  new_keypair_reply: {
    queryId,
    writeCap: secret(bacap('write_cap', S.writeCap)),
    readCap: bacap('read_cap', S.readCap),
    firstMessageIndex: bacap('first_message_index', S.messageBoxIndex),
    errorCode,
  },
  encrypt_read_reply: encryptReply,
  encrypt_write_reply: encryptReply,
  start_resending_encrypted_message_reply: {
    queryId,
    /** Read result; null for writes and on error. */
    plaintext: bytes('plaintext'),
    /** Mixed namespace: replica codes 1–11 and daemon codes (PROTOCOL.md §7.3). */
    errorCode,
    courierIdentityHash: array('courier_identity_hash', S.hash),
    courierQueueId: bytes('courier_queue_id'),
  },
  cancel_resending_encrypted_message_reply: { queryId, errorCode },
  start_resending_copy_command_reply: {
    queryId,
    errorCode,
    replicaErrorCode: uint8('replica_error_code', { omitEmpty: true }),
    /** 1-based position in the copy stream; 0 when not applicable. */
    failedEnvelopeIndex: uint64('failed_envelope_index', { omitEmpty: true }),
  },
  cancel_resending_copy_command_reply: { queryId, errorCode },
  next_message_box_index_reply: { queryId, nextMessageBoxIndex: bacap('next_message_box_index', S.messageBoxIndex), errorCode },
  get_message_box_index_counter_reply: {
    queryId,
    /** Idx64 of the index: may exceed 2^53. */
    counter: uint64('counter'),
    errorCode,
  },
  get_pki_document_reply: {
    queryId,
    /** The cert-wrapped signed document (PROTOCOL.md §6.4). */
    payload: bytes('payload'),
    epoch: uint64('epoch'),
    errorCode,
  },
  get_directory_authorities_reply: { queryId, authorities: structList('authorities', DirectoryAuthoritySchema), errorCode },
  create_courier_envelopes_from_payload_reply: {
    queryId,
    envelopes: bytesList('envelopes'),
    nextDestIndex: bacap('next_dest_index', S.messageBoxIndex),
    errorCode,
  },
  create_courier_envelopes_from_multi_payload_reply: {
    queryId,
    envelopes: bytesList('envelopes'),
    /** Residual to pass to the next call; null after `is_last`. */
    buffer: bytes('buffer'),
    nextDestIndices: bytesList('next_dest_indices', S.messageBoxIndex),
    errorCode,
  },
  create_courier_envelopes_from_tombstone_range_reply: {
    queryId,
    envelopes: bytesList('envelopes'),
    buffer: bytes('buffer'),
    nextDestIndex: bacap('next_dest_index', S.messageBoxIndex),
    errorCode,
  },
  voucher_mint_reply: {
    queryId,
    /** Secret: whoever holds it can read box 0 of the voucher stream and answer in box 1. */
    voucher: secret(bytes('voucher')),
    voucherPayload: bytes('voucher_payload'),
    voucherWriteCap: secret(bytes('voucher_write_cap')),
    voucherReadCap: bytes('voucher_read_cap'),
    voucherSecretKey: secret(bytes('voucher_secret_key')),
    voucherPublicKey: bytes('voucher_public_key'),
    errorCode,
  },
  voucher_induct_reply: {
    queryId,
    displayName: text('display_name'),
    mutatedMessageReadCap: bytes('mutated_message_read_cap'),
    sealedReply: bytes('sealed_reply'),
    voucherWriteCap: secret(bytes('voucher_write_cap')),
    voucherReadCap: bytes('voucher_read_cap'),
    salt: bytes('salt'),
    errorCode,
  },
  voucher_open_reply: {
    queryId,
    whoReply: bytes('who_reply'),
    salt: bytes('salt'),
    mutatedMessageWriteCap: secret(bytes('mutated_message_write_cap')),
    errorCode,
  },
  voucher_derive_stream_reply: { queryId, voucherWriteCap: secret(bytes('voucher_write_cap')), voucherReadCap: bytes('voucher_read_cap'), errorCode },
} as const;
