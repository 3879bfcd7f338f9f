import type { DirectoryAuthority } from '../wire/messages.js';
import type { SimGeometry } from './sim-geometry.js';
import type { SimPki } from './sim-pki.js';
import type { SimRandom } from './sim-random.js';

/**
 * What the local request handlers (answered inline, no mixnet) read: the
 * advertised geometry, the PKI state (several validations depend on
 * whether a document is cached), randomness for fresh "MKEM" nonces, and
 * the configured directory authorities.
 *
 * @example
 * const reply = handleBoxRequest(context, request);
 */
export interface LocalContext {
  readonly geometry: SimGeometry;
  readonly pki: SimPki;
  readonly random: SimRandom;
  readonly authorities: readonly DirectoryAuthority[];
}
