import { bytesEqual } from '../../core/hex.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../../wire/messages.js';
import type { LocalContext } from '../local-context.js';
import { keypairFromSeed, mutateReadCap, mutateWriteCap, readCapOf, signWithWriteCap, verifyWithReadCap } from '../pigeonhole/fake-bacap.js';
import { simHash } from '../sim-hash.js';
import { InvalidKeyError, checkPrivateKey, checkPublicKey, publicKeyFor } from './fake-hybrid-nike.js';
import { SealOpenError, decapsulate, encapsulate } from './fake-mkem.js';
import { CborDecodeError, cborMap, decodeStruct } from './strict-cbor.js';

const InvalidRequest = 3;
const VoucherHashMismatch = 28;
const VoucherSignatureInvalid = 29;
const VoucherSealOpenFailed = 30;

/** The four Contact Voucher requests. */
export type VoucherRequest = Extract<DecodedRequest, { type: 'voucher_mint' | 'voucher_induct' | 'voucher_open' | 'voucher_derive_stream' }>;

/** A failure with the daemon's error code (hpqc's error, mapped by `voucherErrorCode`). */
class VoucherFailure extends Error {
  constructor(readonly code: number) {
    super(`voucher error ${code}`);
  }
}

/** Runs a step whose decoding and key errors are the generic `ErrInvalidArgument` (code 3). */
function invalidArgumentOn<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof CborDecodeError || error instanceof InvalidKeyError) throw new VoucherFailure(InvalidRequest);
    throw error;
  }
}

/**
 * The Contact Voucher requests of kpclientd v0.0.99 (hpqc `voucher`), with
 * fake cryptography but the real formats, so sizes, error codes and the
 * byte-level tamper behaviour agree with the daemon (spec/sim and
 * spec/conformance compare them):
 *
 * - the voucher payload is hpqc's canonical CBOR
 *   `{VoucherPubKey, SignedPleaseAdd: {PleaseAdd: {DisplayName, MessageReadCap}, Signature}}`
 *   and the voucher is its BLAKE2b-256; the sealed reply is an MKEM
 *   ciphertext of `{WhoReply, VoucherSalt}` (see `fake-mkem.ts`);
 * - induct checks in hpqc's order: voucher length (3), hash (28), structure
 *   and read cap (3), signature (29), then the reply key (3);
 * - open: key (3), then anything that does not open (30), then the write cap (3);
 * - the salt mutates the caps' index (BACAP `MutateKDFState`), keeping the
 *   root key: the joiner's mutated write cap and the inductor's mutated
 *   read cap address the same fresh boxes;
 * - where the daemon panics (a payload without a public key; an MKEM blob
 *   without an ephemeral key, or with a DEK or envelope shorter than a
 *   nonce; a key under 32 bytes) this throws `SimDaemonPanic`, and the
 *   dispatcher, like the daemon's, answers nothing.
 *
 * Replies use fresh randomness (keypair, salt, seal), as the daemon's do.
 *
 * @example
 * handleVoucherRequest(context, { type: 'voucher_derive_stream', queryId, voucher });
 */
export function handleVoucherRequest(context: LocalContext, request: VoucherRequest): OutgoingDaemonMessage {
  const replyType = `${request.type}_reply` as const;
  try {
    return { type: replyType, queryId: request.queryId, ...answer(context, request), errorCode: 0 } as OutgoingDaemonMessage;
  } catch (error) {
    if (error instanceof VoucherFailure) return { type: replyType, queryId: request.queryId, errorCode: error.code } as OutgoingDaemonMessage;
    throw error;
  }
}

function answer(context: LocalContext, request: VoucherRequest): Record<string, unknown> {
  switch (request.type) {
    case 'voucher_mint':
      return mint(context, request.messageWriteCap, request.displayName);
    case 'voucher_induct':
      return induct(context, request.voucher, request.voucherPayload, request.whoReply);
    case 'voucher_open':
      return open(request.voucherSecretKey, request.sealedReply, request.messageWriteCap);
    case 'voucher_derive_stream':
      return streamCaps(request.voucher);
  }
}

/** `DeriveVoucherStream`: the voucher stream's caps, a pure function of the 32-byte voucher. */
function streamCaps(voucher: Uint8Array | null): { voucherWriteCap: Uint8Array; voucherReadCap: Uint8Array } {
  if (voucher === null || voucher.length !== WireSizes.voucher) throw new VoucherFailure(InvalidRequest);
  const { writeCap, readCap } = keypairFromSeed(simHash('voucher stream seed', [voucher]));
  return { voucherWriteCap: writeCap, voucherReadCap: readCap };
}

/** `VoucherMint`. Any 168 bytes are a write cap (its key halves are not checked, as in hpqc). */
function mint(context: LocalContext, writeCap: Uint8Array | null, displayName: string): Record<string, unknown> {
  if (writeCap === null || writeCap.length !== WireSizes.writeCap) throw new VoucherFailure(InvalidRequest);
  const secretKey = context.random.bytes(WireSizes.voucherSecretKey);
  const publicKey = publicKeyFor(secretKey);
  const pleaseAdd = cborMap([
    ['DisplayName', displayName],
    ['MessageReadCap', readCapOf(writeCap)],
  ]);
  const signed = cborMap([
    ['PleaseAdd', pleaseAdd],
    ['Signature', signWithWriteCap(writeCap, pleaseAdd)],
  ]);
  const payload = cborMap([
    ['VoucherPubKey', publicKey],
    ['SignedPleaseAdd', signed],
  ]);
  const voucher = blake2b256(payload);
  return { voucher, voucherPayload: payload, ...streamCaps(voucher), voucherSecretKey: secretKey, voucherPublicKey: publicKey };
}

/** `VoucherInduct`. */
function induct(context: LocalContext, voucher: Uint8Array | null, payload: Uint8Array | null, whoReply: Uint8Array | null): Record<string, unknown> {
  if (voucher === null || voucher.length !== WireSizes.voucher) throw new VoucherFailure(InvalidRequest);
  if (!bytesEqual(blake2b256(payload ?? new Uint8Array(0)), voucher)) throw new VoucherFailure(VoucherHashMismatch);
  const { pleaseAdd, signature, publicKey } = invalidArgumentOn(() => {
    const outer = decodeStruct(payload, { SignedPleaseAdd: 'bytes', VoucherPubKey: 'bytes' });
    const signed = decodeStruct(outer.SignedPleaseAdd, { PleaseAdd: 'bytes', Signature: 'bytes' });
    return { pleaseAdd: signed.PleaseAdd, signature: signed.Signature, publicKey: outer.VoucherPubKey };
  });
  const { DisplayName: displayName, MessageReadCap: readCap } = invalidArgumentOn(() => decodeStruct(pleaseAdd, { DisplayName: 'text', MessageReadCap: 'bytes' }));
  if (readCap === null || readCap.length !== WireSizes.readCap) throw new VoucherFailure(InvalidRequest);
  if (!verifyWithReadCap(readCap, signature, pleaseAdd ?? new Uint8Array(0))) throw new VoucherFailure(VoucherSignatureInvalid);
  const salt = context.random.bytes(WireSizes.voucherSalt);
  const recipient = invalidArgumentOn(() => checkPublicKey(publicKey));
  const plaintext = cborMap([
    ['WhoReply', whoReply ?? new Uint8Array(0)],
    ['VoucherSalt', salt],
  ]);
  return {
    displayName,
    mutatedMessageReadCap: mutateReadCap(readCap, salt),
    sealedReply: encapsulate(context.random, recipient, plaintext),
    ...streamCaps(voucher),
    salt,
  };
}

/** `VoucherOpenReply`. */
function open(secretKey: Uint8Array | null, sealedReply: Uint8Array | null, writeCap: Uint8Array | null): Record<string, unknown> {
  const privateKey = invalidArgumentOn(() => checkPrivateKey(secretKey));
  let reply;
  try {
    reply = decodeStruct(decapsulate(privateKey, sealedReply), { WhoReply: 'bytes', VoucherSalt: 'bytes' });
  } catch (error) {
    if (error instanceof SealOpenError || error instanceof CborDecodeError) throw new VoucherFailure(VoucherSealOpenFailed);
    throw error;
  }
  if (writeCap === null || writeCap.length !== WireSizes.writeCap) throw new VoucherFailure(InvalidRequest);
  const salt = reply.VoucherSalt ?? new Uint8Array(0);
  return { whoReply: reply.WhoReply ?? new Uint8Array(0), salt, mutatedMessageWriteCap: mutateWriteCap(writeCap, salt) };
}
