/**
 * How-to: discover network services (and verify the PKI document yourself).
 */
import { firstValueFrom } from 'rxjs';
import { ServiceNotFoundError, blake2b256, bytesEqual, decodeSignedPKIDocument, toHex } from 'katzenpost-rx';
import { SYNTHETIC_AUTHORITIES, syntheticIdentityKey } from 'katzenpost-rx/sim';
import { utf8, withSim } from './support/howto-env.js';

describe('how-to: discover network services via the PKI document', () => {
  it('finds the echo service and couriers, and their destinations', () =>
    withSim('howto-services', async ({ client }) => {
      const doc = client.pkiDocument();
      expect(doc).not.toBeNull();

      const echo = client.getService('echo');
      const { destinationIdHash, recipientQueueId } = echo.toDestination();
      expect(destinationIdHash).toEqual(blake2b256(echo.mixDescriptor.identityKey));
      expect(recipientQueueId).toEqual(utf8('+echo'));

      // Pigeonhole needs no discovery (the daemon picks couriers), but they are there.
      const couriers = client.getAllCouriers();
      expect(couriers.length).toBe(3);
      expect(client.getServices('courier').length).toBe(3);
      const [a, b] = client.getDistinctCouriers(2);
      expect(bytesEqual(a!.mixDescriptor.identityKey, b!.mixDescriptor.identityKey)).toBe(false);

      expect(() => client.getService('no-such-service')).toThrow(ServiceNotFoundError);
    }));
});

describe('how-to: verify the PKI document yourself', () => {
  it('fetches the signed document and checks a threshold of signers from our own trust store', () =>
    withSim('howto-verify-pki', async ({ client }) => {
      // The trust root is the application's own (here: the simulator's synthetic authorities), never the daemon's.
      const trustedKeyHashes = SYNTHETIC_AUTHORITIES.map((name) => toHex(blake2b256(syntheticIdentityKey(name))));
      const threshold = Math.floor(trustedKeyHashes.length / 2) + 1;

      const raw = await firstValueFrom(client.getPKIDocumentRaw(0));
      const signed = decodeSignedPKIDocument(raw.payload);
      expect(BigInt(signed.document.epoch)).toBe(raw.epoch);
      expect(signed.version).toBe(0);

      // The bytes each signature covers, per core/cert: u32le(Version) ‖ u64le(Expiration) ‖ KeyType ‖ Certified.
      const header = new Uint8Array(12);
      const view = new DataView(header.buffer);
      view.setUint32(0, signed.version, true);
      view.setBigUint64(4, BigInt(signed.expiration), true);
      const expectedMessage = new Uint8Array([...header, ...utf8(signed.keyType), ...signed.certified]);
      expect(signed.signedMessage).toEqual(expectedMessage);

      // A real application now verifies each signature over signedMessage with its hybrid
      // (Falcon-padded-512-Ed25519) verifier; the simulator's signatures are synthetic, so
      // this spec stops at matching the signers against the trust store.
      const signers = trustedKeyHashes.filter((hash) => signed.signatures.has(hash));
      expect(signers.length).toBeGreaterThanOrEqual(threshold);
      // The document the daemon pushed is the same one.
      expect(client.pkiDocument()?.epoch).toBe(signed.document.epoch);
    }));
});
