import { bytesEqual } from '../core/hex.js';
import { blake2b256 } from '../pki/blake2b256.js';
import { WireSizes } from '../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../wire/messages.js';
import type { LocalContext } from './local-context.js';
import { keypairFromSeed, mutateReadCap, mutateWriteCap, readCapOf } from './pigeonhole/fake-bacap.js';
import { xorMask } from './pigeonhole/sim-mask.js';
import { simHash } from './sim-hash.js';

const InvalidRequest = 3;
const VoucherHashMismatch = 28;
const VoucherSealOpenFailed = 30;

const MAGIC = [0x4b, 0x50, 0x53, 0x56]; // "KPSV"
const KEY = 32;
const NONCE = 16;

/** The four Contact Voucher requests. */
export type VoucherRequest = Extract<DecodedRequest, { type: 'voucher_mint' | 'voucher_induct' | 'voucher_open' | 'voucher_derive_stream' }>;

/**
 * A fake but self-consistent Contact Voucher exchange (DAEMON.md §9:
 * "voucher operations: random blobs"): mint → induct → open round-trips,
 * the mutated read cap reads what the mutated write cap writes, and the
 * hpqc error codes appear where a client can provoke them (a payload that
 * does not hash to the voucher → 28, a sealed reply that does not open →
 * 30, anything malformed → 3). Replies use fresh randomness, as the
 * daemon's do.
 *
 * @example
 * handleVoucherRequest(context, { type: 'voucher_derive_stream', queryId, voucher });
 */
export function handleVoucherRequest(context: LocalContext, request: VoucherRequest): OutgoingDaemonMessage {
  switch (request.type) {
    case 'voucher_mint': {
      const { queryId, messageWriteCap } = request;
      if (messageWriteCap === null || messageWriteCap.length !== WireSizes.writeCap) return { type: 'voucher_mint_reply', queryId, errorCode: InvalidRequest };
      const secret = context.random.bytes(KEY);
      const publicKey = simHash('voucher public key', [secret]);
      const name = new TextEncoder().encode(request.displayName);
      const payload = new Uint8Array(4 + 2 + name.length + WireSizes.readCap + KEY + NONCE);
      const view = new DataView(payload.buffer);
      payload.set(MAGIC, 0);
      view.setUint16(4, name.length, false);
      payload.set(name, 6);
      payload.set(readCapOf(messageWriteCap), 6 + name.length);
      payload.set(publicKey, 6 + name.length + WireSizes.readCap);
      payload.set(context.random.bytes(NONCE), 6 + name.length + WireSizes.readCap + KEY);
      const voucher = blake2b256(payload);
      const caps = streamCaps(voucher);
      return {
        type: 'voucher_mint_reply',
        queryId,
        voucher,
        voucherPayload: payload,
        voucherWriteCap: caps.writeCap,
        voucherReadCap: caps.readCap,
        voucherSecretKey: secret,
        voucherPublicKey: publicKey,
        errorCode: 0,
      };
    }
    case 'voucher_induct': {
      const { queryId, voucher, voucherPayload, whoReply } = request;
      const fail = (errorCode: number): OutgoingDaemonMessage => ({ type: 'voucher_induct_reply', queryId, errorCode });
      if (voucher === null || voucherPayload === null || whoReply === null) return fail(InvalidRequest);
      if (!bytesEqual(blake2b256(voucherPayload), voucher)) return fail(VoucherHashMismatch);
      const parsed = parsePayload(voucherPayload);
      if (parsed === null) return fail(InvalidRequest);
      const salt = context.random.bytes(KEY);
      const caps = streamCaps(voucher);
      return {
        type: 'voucher_induct_reply',
        queryId,
        displayName: parsed.displayName,
        mutatedMessageReadCap: mutateReadCap(parsed.readCap, salt),
        sealedReply: seal(parsed.publicKey, concat(salt, whoReply), context.random.bytes(NONCE)),
        voucherWriteCap: caps.writeCap,
        voucherReadCap: caps.readCap,
        salt,
        errorCode: 0,
      };
    }
    case 'voucher_open': {
      const { queryId, voucherSecretKey, sealedReply, messageWriteCap } = request;
      const fail = (errorCode: number): OutgoingDaemonMessage => ({ type: 'voucher_open_reply', queryId, errorCode });
      if (voucherSecretKey === null || sealedReply === null || messageWriteCap === null || messageWriteCap.length !== WireSizes.writeCap) {
        return fail(InvalidRequest);
      }
      const opened = open(simHash('voucher public key', [voucherSecretKey]), sealedReply);
      if (opened === null || opened.length < KEY) return fail(VoucherSealOpenFailed);
      const salt = opened.slice(0, KEY);
      return {
        type: 'voucher_open_reply',
        queryId,
        whoReply: opened.slice(KEY),
        salt,
        mutatedMessageWriteCap: mutateWriteCap(messageWriteCap, salt),
        errorCode: 0,
      };
    }
    case 'voucher_derive_stream': {
      const { queryId, voucher } = request;
      if (voucher === null || voucher.length !== KEY) return { type: 'voucher_derive_stream_reply', queryId, errorCode: InvalidRequest };
      const caps = streamCaps(voucher);
      return { type: 'voucher_derive_stream_reply', queryId, voucherWriteCap: caps.writeCap, voucherReadCap: caps.readCap, errorCode: 0 };
    }
  }
}

/** The voucher's stream caps: a pure function of the voucher. */
function streamCaps(voucher: Uint8Array): { writeCap: Uint8Array; readCap: Uint8Array } {
  return keypairFromSeed(simHash('voucher stream seed', [voucher]));
}

function parsePayload(payload: Uint8Array): { displayName: string; readCap: Uint8Array; publicKey: Uint8Array } | null {
  if (payload.length < 6 || !MAGIC.every((b, i) => payload[i] === b)) return null;
  const nameLength = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint16(4, false);
  if (payload.length !== 6 + nameLength + WireSizes.readCap + KEY + NONCE) return null;
  let displayName: string;
  try {
    displayName = new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(6, 6 + nameLength));
  } catch {
    return null;
  }
  const capStart = 6 + nameLength;
  return {
    displayName,
    readCap: payload.slice(capStart, capStart + WireSizes.readCap),
    publicKey: payload.slice(capStart + WireSizes.readCap, capStart + WireSizes.readCap + KEY),
  };
}

/** nonce ‖ masked plaintext ‖ tag. */
function seal(publicKey: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
  const body = plaintext.slice();
  xorMask(simHash('voucher seal mask', [publicKey, nonce], NONCE), body);
  return concat(nonce, body, simHash('voucher seal tag', [publicKey, nonce, plaintext]));
}

function open(publicKey: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < NONCE + KEY) return null;
  const nonce = sealed.subarray(0, NONCE);
  const body = sealed.slice(NONCE, sealed.length - KEY);
  xorMask(simHash('voucher seal mask', [publicKey, nonce], NONCE), body);
  const tag = sealed.subarray(sealed.length - KEY);
  return bytesEqual(tag, simHash('voucher seal tag', [publicKey, nonce, body])) ? body : null;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
