import { InvalidArgumentError } from '../errors/local-errors.js';
import type { PigeonholeGeometry, SphinxGeometry } from '../wire/messages.js';

/**
 * Geometry options of the simulator. By default the docker network's values
 * (DAEMON.md §7). Giving only `userForwardPayloadLength` derives everything
 * else the way the daemon does (`NewGeometryFromSphinx`): a small value gives
 * small boxes, handy to test chunking with few bytes.
 *
 * @example
 * startSimulator({ geometry: { userForwardPayloadLength: 600 } }); // M = 149
 */
export interface SimGeometryOptions {
  /** Largest `send_message` payload; default 2000. */
  readonly userForwardPayloadLength?: number;
  /** Field-by-field overrides of the derived Sphinx geometry. */
  readonly sphinx?: Partial<SphinxGeometry>;
  /** Field-by-field overrides of the derived Pigeonhole geometry. */
  readonly pigeonhole?: Partial<PigeonholeGeometry>;
}

/** Both geometries as the simulated daemon advertises them. */
export interface SimGeometry {
  readonly sphinx: SphinxGeometry;
  readonly pigeonhole: PigeonholeGeometry;
}

/**
 * Overhead between UserForwardPayloadLength and MaxPlaintextPayloadLength
 * with the CTIDH1024-X25519 replica NIKE (DAEMON.md §7).
 */
const PIGEONHOLE_OVERHEAD = 451;
/** CourierQueryReply{Read,Write}Length = UserForwardPayloadLength − 282 in docker (2000 → 1718). */
const REPLY_OVERHEAD = 282;

/**
 * The geometries for the given options (DAEMON.md §7).
 *
 * @example
 * deriveSimGeometry().pigeonhole.maxPlaintextPayloadLength; // 1549
 */
export function deriveSimGeometry(options: SimGeometryOptions = {}): SimGeometry {
  const ufpl = options.userForwardPayloadLength ?? options.sphinx?.userForwardPayloadLength ?? 2000;
  if (!Number.isSafeInteger(ufpl) || ufpl <= PIGEONHOLE_OVERHEAD + 5) {
    throw new InvalidArgumentError('geometry.userForwardPayloadLength', `must be an integer above ${PIGEONHOLE_OVERHEAD + 5}`);
  }
  // Docker Sphinx geometry (x25519, 5 hops); only the payload part depends on UFPL.
  const headerLength = 476;
  const payloadTagLength = 32;
  const surbLength = 572;
  const plaintextHeader = 2;
  const forwardPayloadLength = ufpl + surbLength + plaintextHeader;
  const sphinx: SphinxGeometry = {
    packetLength: headerLength + payloadTagLength + forwardPayloadLength,
    nrHops: 5,
    headerLength,
    routingInfoLength: 410,
    perHopRoutingInfoLength: 82,
    surbLength,
    sphinxPlaintextHeaderLength: plaintextHeader,
    payloadTagLength,
    forwardPayloadLength,
    userForwardPayloadLength: ufpl,
    nextNodeHopLength: 65,
    sprpKeyMaterialLength: 64,
    nikeName: 'x25519',
    kemName: '',
    ...options.sphinx,
  };
  const pigeonhole: PigeonholeGeometry = {
    maxPlaintextPayloadLength: ufpl - PIGEONHOLE_OVERHEAD,
    courierQueryReadLength: ufpl,
    courierQueryWriteLength: ufpl,
    courierQueryReplyReadLength: ufpl - REPLY_OVERHEAD,
    courierQueryReplyWriteLength: ufpl - REPLY_OVERHEAD,
    nikeName: 'CTIDH1024-X25519',
    signatureSchemeName: 'Ed25519',
    ...options.pigeonhole,
  };
  return { sphinx, pigeonhole };
}
