import { text, uintSafe } from './fields.js';

/**
 * `sphinx_geometry` (`core/sphinx/geo.Geometry`): an untagged Go struct, so
 * its wire keys are the Go field names (PROTOCOL.md §5.2).
 */
export const SphinxGeometrySchema = {
  packetLength: uintSafe('PacketLength'),
  nrHops: uintSafe('NrHops'),
  headerLength: uintSafe('HeaderLength'),
  routingInfoLength: uintSafe('RoutingInfoLength'),
  perHopRoutingInfoLength: uintSafe('PerHopRoutingInfoLength'),
  surbLength: uintSafe('SURBLength'),
  sphinxPlaintextHeaderLength: uintSafe('SphinxPlaintextHeaderLength'),
  payloadTagLength: uintSafe('PayloadTagLength'),
  forwardPayloadLength: uintSafe('ForwardPayloadLength'),
  /** Largest `send_message` payload and `message_ciphertext`. */
  userForwardPayloadLength: uintSafe('UserForwardPayloadLength'),
  nextNodeHopLength: uintSafe('NextNodeHopLength'),
  sprpKeyMaterialLength: uintSafe('SPRPKeyMaterialLength'),
  /** `""` when a KEM is used. */
  nikeName: text('NIKEName'),
  /** `""` when a NIKE is used. */
  kemName: text('KEMName'),
} as const;

/** `pigeonhole_geometry` (`pigeonhole/geo.Geometry`), derived by the daemon from the Sphinx geometry. */
export const PigeonholeGeometrySchema = {
  /** Largest plaintext of one box (`encrypt_write`). */
  maxPlaintextPayloadLength: uintSafe('MaxPlaintextPayloadLength'),
  courierQueryReadLength: uintSafe('CourierQueryReadLength'),
  courierQueryWriteLength: uintSafe('CourierQueryWriteLength'),
  courierQueryReplyReadLength: uintSafe('CourierQueryReplyReadLength'),
  courierQueryReplyWriteLength: uintSafe('CourierQueryReplyWriteLength'),
  nikeName: text('NIKEName'),
  signatureSchemeName: text('SignatureSchemeName'),
} as const;
