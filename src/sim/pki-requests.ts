import { blake2b256 } from '../pki/blake2b256.js';
import type { DecodedRequest, DirectoryAuthority, OutgoingDaemonMessage } from '../wire/messages.js';
import type { LocalContext } from './local-context.js';
import { SYNTHETIC_AUTHORITIES, syntheticIdentityKey, syntheticKey } from './synthetic-pki.js';

const ServiceUnavailable = 10;

type GetPkiDocument = Extract<DecodedRequest, { type: 'get_pki_document' }>;
type GetDirectoryAuthorities = Extract<DecodedRequest, { type: 'get_directory_authorities' }>;

/**
 * `get_pki_document` (DAEMON.md §2): epoch 0 means the current epoch,
 * falling back to the previous one; only those two can be cached. The
 * payload is the cert-wrapped signed document; on failure code 10 with the
 * requested epoch (or the computed current one when 0 was asked for).
 *
 * @example
 * handleGetPkiDocument(context, { type: 'get_pki_document', queryId, epoch: 0n });
 */
export function handleGetPkiDocument(context: LocalContext, request: GetPkiDocument): OutgoingDaemonMessage {
  const { pki } = context;
  const requested = request.epoch;
  const epoch = requested === 0n ? pki.currentDocumentEpoch() : pki.isCached(Number(requested)) ? Number(requested) : null;
  if (epoch === null) {
    return {
      type: 'get_pki_document_reply',
      queryId: request.queryId,
      epoch: requested === 0n ? BigInt(pki.currentEpoch()) : requested,
      errorCode: ServiceUnavailable,
    };
  }
  return { type: 'get_pki_document_reply', queryId: request.queryId, payload: pki.signedDocument(epoch), epoch: BigInt(epoch), errorCode: 0 };
}

/**
 * `get_directory_authorities`: the voting peers from the daemon's config
 * (no document needed); code 10 when none are configured.
 *
 * @example
 * handleGetDirectoryAuthorities(context, { type: 'get_directory_authorities', queryId });
 */
export function handleGetDirectoryAuthorities(context: LocalContext, request: GetDirectoryAuthorities): OutgoingDaemonMessage {
  if (context.authorities.length === 0) {
    return { type: 'get_directory_authorities_reply', queryId: request.queryId, errorCode: ServiceUnavailable };
  }
  return { type: 'get_directory_authorities_reply', queryId: request.queryId, authorities: context.authorities, errorCode: 0 };
}

/**
 * The default directory authorities: the synthetic document's signers
 * (`auth1`…`auth3`), so `identity_key_hash` matches the keys of the
 * certificate's `Signatures` map, as with a real network. Keys are fake.
 *
 * @example
 * defaultSimAuthorities()[0].identifier; // 'auth1'
 */
export function defaultSimAuthorities(): DirectoryAuthority[] {
  return SYNTHETIC_AUTHORITIES.map((name, i) => {
    const identity = syntheticIdentityKey(name);
    return {
      identifier: name,
      pkiSignatureScheme: 'Ed25519',
      wireKemScheme: 'xwing',
      addresses: [`tcp://127.0.0.1:${30001 + 2 * i}`],
      identityPublicKeyPem: pem('ED25519 PUBLIC KEY', identity),
      // An X-Wing public key is 1216 bytes.
      linkPublicKeyPem: pem('XWING PUBLIC KEY', syntheticKey('authority link key', name, 1216)),
      identityKeyHash: blake2b256(identity),
    };
  });
}

function pem(label: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
