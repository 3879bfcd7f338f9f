import type { PKIDocument } from './pki-document.js';

/**
 * One directory-authority signature of a `cert.Certificate`
 * (`core/cert.Signature`).
 *
 * @example
 * for (const [keyHashHex, sig] of signed.signatures) console.log(keyHashHex, sig.payload.length);
 */
export interface CertificateSignature {
  /** BLAKE2b-256 of the signer's public key (`PublicKeySum256`, 32 bytes). */
  readonly publicKeySum256: Uint8Array;
  /** The signature itself (`Payload`), in the scheme named by `keyType`. */
  readonly payload: Uint8Array;
}

/**
 * The raw signed PKI document of `get_pki_document_reply.payload`
 * (PROTOCOL.md §6.4), as decoded by {@link decodeSignedPKIDocument}. The
 * signatures are exposed, not verified.
 *
 * @example
 * const signed = decodeSignedPKIDocument(reply.payload);
 * console.log(signed.document.epoch, signed.expiration); // e.g. 123, 128
 */
export interface SignedPKIDocument {
  /** Certificate format version (`Version`, uint32; 0 in v0.0.99). */
  readonly version: number;
  /** Epoch at which the certificate expires (`Expiration`; document epoch + 5). */
  readonly expiration: number;
  /** Signature scheme name (`KeyType`), e.g. `"Ed25519"`. */
  readonly keyType: string;
  /** The decoded `Certified` document. */
  readonly document: PKIDocument;
  /** The exact `Certified` bytes (canonical CBOR of the document). */
  readonly certified: Uint8Array;
  /**
   * Signer key hash (lowercase hex of the 32-byte `Signatures` map key) →
   * signature. Match the keys against `identity_key_hash` of
   * `get_directory_authorities`.
   */
  readonly signatures: ReadonlyMap<string, CertificateSignature>;
  /**
   * The bytes every signature covers (`cert.Certificate.message()`):
   * `uint32_le(Version) ‖ uint64_le(Expiration) ‖ UTF-8(KeyType) ‖ Certified`.
   * Handy for applications that verify the signatures themselves.
   */
  readonly signedMessage: Uint8Array;
}
