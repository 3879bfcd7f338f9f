import { bytesToHex } from '@noble/hashes/utils.js';

import { ProtocolError } from '../errors/local-errors.js';
import {
  decodeCborItem,
  expectMap,
  mapFields,
  readBytes,
  readBytesOrEmpty,
  readMapOrEmpty,
  readText,
  readUint,
  requiredField,
} from './cbor-field-readers.js';
import { decodePKIDocument } from './decode-pki-document.js';
import type { PKIDocument } from './pki-document.js';
import type { CertificateSignature, SignedPKIDocument } from './signed-pki-document.js';

const UINT32_MAX = 0xffff_ffff;
const KEY_HASH_LENGTH = 32;

/**
 * Decodes `get_pki_document_reply.payload`: the `cert.Certificate` map
 * (`Version`, `Expiration`, `KeyType`, `Certified`, `Signatures`) exactly as
 * the daemon received it from its gateway (PROTOCOL.md §6.4). `Certified` is
 * decoded with {@link decodePKIDocument}; malformed input of any part throws
 * a `ProtocolError` naming the field.
 *
 * Signatures are **not verified**. The daemon has already verified this
 * certificate against its configured directory authorities before using it
 * (`core/pki.FromPayload`), the trust anchor (the authority keys) lives in
 * the daemon's configuration rather than in the thin client, and a
 * verification here would need every PKI signature scheme (Ed25519, hybrid
 * and post-quantum ones) as a dependency. They are exposed, together with
 * {@link SignedPKIDocument.signedMessage}, for applications that want an
 * independent check; such a check must also require
 * `current epoch < expiration`, as `cert.Verify` does.
 *
 * @example
 * const signed = decodeSignedPKIDocument(reply.payload);
 * for (const [keyHash, sig] of signed.signatures) console.log(keyHash, sig.payload.length);
 */
export function decodeSignedPKIDocument(payload: Uint8Array): SignedPKIDocument {
  const path = 'signed PKI document';
  const { get, at } = mapFields(decodeCborItem(payload, path), path);

  const version = readUint(get('Version'), at('Version'), UINT32_MAX);
  const expiration = readUint(get('Expiration'), at('Expiration'));
  const keyType = readText(get('KeyType'), at('KeyType'));
  const certified = readBytes(get('Certified'), at('Certified'));

  let document: PKIDocument;
  try {
    document = decodePKIDocument(certified);
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new ProtocolError(`${at('Certified')}: ${err.message}`, { cause: err });
    }
    throw err;
  }

  const signatures = new Map<string, CertificateSignature>();
  // A nil Signatures map is legal for Go (`sanityCheck` replaces it with an empty one).
  for (const [k, v] of readMapOrEmpty(get('Signatures'), at('Signatures'))) {
    const keyHex = bytesToHex(readBytes(k, `${at('Signatures')} key`, KEY_HASH_LENGTH));
    const sigPath = `${at('Signatures')}[${keyHex}]`;
    const sig = expectMap(v, sigPath);
    signatures.set(keyHex, {
      publicKeySum256: readBytes(
        requiredField(sig, 'PublicKeySum256', sigPath),
        `${sigPath}.PublicKeySum256`,
        KEY_HASH_LENGTH,
      ),
      payload: readBytesOrEmpty(requiredField(sig, 'Payload', sigPath), `${sigPath}.Payload`),
    });
  }

  return {
    version,
    expiration,
    keyType,
    document,
    certified,
    signatures,
    signedMessage: certificateMessage(version, expiration, keyType, certified),
  };
}

/** `cert.Certificate.message()`: what each signature signs. */
function certificateMessage(version: number, expiration: number, keyType: string, certified: Uint8Array): Uint8Array {
  const keyTypeBytes = new TextEncoder().encode(keyType);
  const out = new Uint8Array(4 + 8 + keyTypeBytes.length + certified.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, version, true);
  view.setBigUint64(4, BigInt(expiration), true);
  out.set(keyTypeBytes, 12);
  out.set(certified, 12 + keyTypeBytes.length);
  return out;
}
