import { Decoder, Encoder } from './cbor-library.js';

/*
 * The one pair of cbor-x instances behind the codec (PROTOCOL.md §2).
 *
 * Encoder options matter (DESIGN.md, toolchain facts): without
 * `tagUint8Array: false` cbor-x tags byte strings (tag 64), which the daemon
 * must not see; `variableMapSize` gives the shortest map heads, matching the
 * byte-exact fixtures.
 */

/** Encodes requests (client) and daemon messages (simulator). */
export const cborEncoder = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, pack: false });

/** Decodes daemon messages (client) and requests (simulator); byte strings come back as views of the input. */
export const cborDecoder = new Decoder({ mapsAsObjects: true, useRecords: false });
