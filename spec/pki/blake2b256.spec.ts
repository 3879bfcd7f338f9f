import { blake2b256 } from '../../src/pki/blake2b256.js';
import { counting, fromHex, toHex } from './go-cbor.js';

// Vectors computed independently with Python 3 at test-writing time:
//   python3 -c "import hashlib; print(hashlib.blake2b(x, digest_size=32).hexdigest())"
// (BLAKE2b with a 32-byte digest parameter, i.e. Go's blake2b.Sum256.)
describe('blake2b256', () => {
  it.each([
    ['empty input', new Uint8Array(0), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8'],
    ['"abc"', new TextEncoder().encode('abc'), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319'],
    ['bytes 00..1f', counting(32), 'cb2f5160fc1f7e05a55ef49d340b48da2e5a78099d53393351cd579dd42503d6'],
  ])('hashes %s', (_name, input, expected) => {
    const digest = blake2b256(input);
    expect(digest).toHaveLength(32);
    expect(toHex(digest)).toBe(expected);
  });

  it('is not truncated BLAKE2b-512', () => {
    // First 32 bytes of python3 hashlib.blake2b(b"abc").hexdigest() (64-byte digest).
    const truncated512 = fromHex('ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1');
    expect(blake2b256(new TextEncoder().encode('abc'))).not.toEqual(truncated512);
  });
});
