import { ProtocolError } from '../../src/errors/local-errors.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import { decodeSignedPKIDocument } from '../../src/pki/decode-signed-pki-document.js';
import { bstr, concat, filled, fromHex, map, NULL, tmap, toHex, tstr, uint, withEntry } from './go-cbor.js';
import { buildFixture, FIXTURE_EPOCH } from './go-shape-fixture.js';

const SIGNER_A = filled(32, 0x0a);
const SIGNER_B = filled(32, 0x0b);

type Entries = [string, Uint8Array][];

function certEntries(certified: Uint8Array = buildFixture()): Entries {
  return [
    ['Version', uint(0)],
    ['Expiration', uint(FIXTURE_EPOCH + 5)],
    ['KeyType', tstr('Ed25519')],
    ['Certified', bstr(certified)],
    [
      'Signatures',
      map(
        [bstr(SIGNER_A), tmap(['PublicKeySum256', bstr(SIGNER_A)], ['Payload', bstr(filled(64, 0xa1))])],
        [bstr(SIGNER_B), tmap(['PublicKeySum256', bstr(SIGNER_B)], ['Payload', bstr(filled(64, 0xb1))])],
      ),
    ],
  ];
}

function expectProtocolError(payload: Uint8Array, message: string | RegExp): void {
  expect(() => decodeSignedPKIDocument(payload)).toThrow(ProtocolError);
  expect(() => decodeSignedPKIDocument(payload)).toThrow(message);
}

describe('decodeSignedPKIDocument', () => {
  it('decodes the cert.Certificate fields, the certified document and the signatures', () => {
    const certified = buildFixture();
    const signed = decodeSignedPKIDocument(tmap(...certEntries(certified)));
    expect(signed.version).toBe(0);
    expect(signed.expiration).toBe(FIXTURE_EPOCH + 5);
    expect(signed.keyType).toBe('Ed25519');
    expect(signed.certified).toEqual(certified);
    expect(signed.document).toEqual(decodePKIDocument(certified));
    expect(signed.signatures).toEqual(
      new Map([
        [toHex(SIGNER_A), { publicKeySum256: SIGNER_A, payload: filled(64, 0xa1) }],
        [toHex(SIGNER_B), { publicKeySum256: SIGNER_B, payload: filled(64, 0xb1) }],
      ]),
    );
  });

  it('exposes the signed message: u32le(Version) ‖ u64le(Expiration) ‖ KeyType ‖ Certified', () => {
    const certified = buildFixture();
    const signed = decodeSignedPKIDocument(tmap(...certEntries(certified)));
    // 123461 = 0x01e245 little-endian.
    const expectedPrefix = fromHex('00000000' + '45e2010000000000');
    expect(signed.signedMessage).toEqual(concat(expectedPrefix, new TextEncoder().encode('Ed25519'), certified));
  });

  it('accepts a nil Signatures map as empty (Go sanityCheck does)', () => {
    const signed = decodeSignedPKIDocument(tmap(...withEntry(certEntries(), 'Signatures', NULL)));
    expect(signed.signatures.size).toBe(0);
  });

  it('prefixes errors inside Certified with the certificate field', () => {
    const bad = buildFixture({ document: (e) => withEntry(e, 'Epoch', tstr('x')) });
    expectProtocolError(
      tmap(...certEntries(bad)),
      'signed PKI document.Certified: PKI document.Epoch: expected an unsigned integer, got text string',
    );
  });

  it.each<[string, Uint8Array, string]>([
    ['a non-map payload', bstr(filled(3, 0)), 'signed PKI document: expected a map, got byte string'],
    ['missing Certified', tmap(...withEntry(certEntries(), 'Certified', undefined)), 'signed PKI document.Certified: missing'],
    ['Certified as null', tmap(...withEntry(certEntries(), 'Certified', NULL)), 'signed PKI document.Certified: expected a byte string, got null'],
    ['Version above uint32', tmap(...withEntry(certEntries(), 'Version', uint(2 ** 32))), 'signed PKI document.Version: integer exceeds 4294967295'],
    ['KeyType as bytes', tmap(...withEntry(certEntries(), 'KeyType', bstr(filled(1, 0)))), 'signed PKI document.KeyType: expected a text string, got byte string'],
    [
      'a 16-byte signature key',
      tmap(...withEntry(certEntries(), 'Signatures', map([bstr(filled(16, 1)), tmap(['PublicKeySum256', bstr(SIGNER_A)], ['Payload', bstr(filled(64, 1))])]))),
      'signed PKI document.Signatures key: expected 32 bytes, got 16',
    ],
    [
      'a signature without Payload',
      tmap(...withEntry(certEntries(), 'Signatures', map([bstr(SIGNER_A), tmap(['PublicKeySum256', bstr(SIGNER_A)])]))),
      `signed PKI document.Signatures[${toHex(SIGNER_A)}].Payload: missing`,
    ],
  ])('rejects %s', (_name, payload, message) => {
    expectProtocolError(payload, message);
  });
});
