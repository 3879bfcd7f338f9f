import type { DaemonMessage, DaemonMessageOf, PigeonholeGeometry, SphinxGeometry } from '../../src/wire/messages.js';

/** Docker-network geometry (DAEMON.md §7). */
export const sphinxGeometry: SphinxGeometry = {
  packetLength: 3082,
  nrHops: 5,
  headerLength: 476,
  routingInfoLength: 410,
  perHopRoutingInfoLength: 82,
  surbLength: 572,
  sphinxPlaintextHeaderLength: 2,
  payloadTagLength: 32,
  forwardPayloadLength: 2574,
  userForwardPayloadLength: 2000,
  nextNodeHopLength: 65,
  sprpKeyMaterialLength: 64,
  nikeName: 'x25519',
  kemName: '',
};

export const pigeonholeGeometry: PigeonholeGeometry = {
  maxPlaintextPayloadLength: 1549,
  courierQueryReadLength: 2000,
  courierQueryWriteLength: 2000,
  courierQueryReplyReadLength: 1718,
  courierQueryReplyWriteLength: 1718,
  nikeName: 'CTIDH1024-X25519',
  signatureSchemeName: 'Ed25519',
};

export const bytes = (n: number, fill = 0) => new Uint8Array(n).fill(fill);

export function status(isConnected = true, tokenFill = 1): DaemonMessageOf<'connection_status_event'> {
  return { type: 'connection_status_event', isConnected, err: null, instanceToken: bytes(16, tokenFill), sphinxGeometry, pigeonholeGeometry };
}

export const pkiEvent = (): DaemonMessage => ({ type: 'new_pki_document_event', payload: null });

export const tokenReply = (resumed = false): DaemonMessage => ({ type: 'session_token_reply', appId: bytes(16, 9), resumed });
