import { Decoder, Encoder } from 'cbor-x';
import { MalformedMessageError, ProtocolError } from '../../src/errors/local-errors.js';
import { decodeDaemonMessage, decodeRequest, encodeDaemonMessage, encodeRequest } from '../../src/wire/codec.js';
import { encodeFrame } from '../../src/wire/frame-encoder.js';
import { RESPONSE_KINDS, REQUEST_KINDS } from '../../src/wire/messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
/** An independent encoder for building daemon-side fixtures the way Go does. */
const plain = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false });

describe('request encoding (PROTOCOL.md §1.1 fixtures)', () => {
  it('encodes thin_close byte-exactly', () => {
    expect(hex(encodeFrame(encodeRequest({ type: 'thin_close' })))).toBe('0000000d' + 'a16a7468696e5f636c6f7365a0');
  });

  it('encodes session_token byte-exactly', () => {
    const frame = encodeFrame(encodeRequest({ type: 'session_token', clientInstanceToken: seq(16) }));
    expect(hex(frame)).toBe(
      '00000037a16d73657373696f6e5f746f6b656ea1' + '75636c69656e745f696e7374616e63655f746f6b656e50' + '000102030405060708090a0b0c0d0e0f',
    );
  });

  it('writes byte strings as major type 2, never tagged', () => {
    const body = encodeRequest({ type: 'new_keypair', queryId: seq(16), seed: seq(32) });
    expect(hex(body)).toContain('5820' + hex(seq(32))); // bstr(32)
    expect(hex(body)).not.toContain('d840'); // tag 64
  });

  it('sends null for absent fields and leaves out omitempty ones', () => {
    const body = encodeRequest({
      type: 'start_resending_encrypted_message',
      queryId: seq(16),
      writeCap: seq(168),
      envelopeDescriptor: seq(10),
      messageCiphertext: seq(20),
      envelopeHash: seq(32),
    });
    const decoded = decodeRequest(body);
    expect(decoded.type).toBe('start_resending_encrypted_message');
    const text = hex(body);
    expect(text).toContain(hex(new TextEncoder().encode('read_cap')) + 'f6');
    expect(text).not.toContain(hex(new TextEncoder().encode('reply_index')));
    expect(text).not.toContain(hex(new TextEncoder().encode('no_retry_on_box_id_not_found')));
  });

  it('keeps 64-bit integers exact and shortest (no float)', () => {
    const big = encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 2n ** 63n + 5n });
    expect(hex(big)).toContain('65706f63681b8000000000000005');
    const small = encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 7 });
    expect(hex(small)).toMatch(/65706f636807$/);
    const mid = encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 2 ** 40 });
    expect(hex(mid)).toMatch(/65706f63681b0000010000000000$/);
  });

  // Regression (issue 12, "smaller"): 2 ** 60 + 1 === 2 ** 60 — a number above 2^53 does not name one integer.
  it('refuses a uint64 given as a number above 2^53 (a bigint is required there)', () => {
    expect(() => encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 2 ** 60 })).toThrow(/safe integer/);
    expect(() => encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 1.5 })).toThrow(ProtocolError);
    expect(hex(encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: 2n ** 60n + 1n }))).toMatch(/65706f63681b1000000000000001$/);
    expect(hex(encodeRequest({ type: 'get_pki_document', queryId: seq(16), epoch: Number.MAX_SAFE_INTEGER }))).toMatch(/65706f63681b001fffffffffffff$/);
  });

  it('refuses wrong lengths for fixed-size fields before anything is sent', () => {
    expect(() => encodeRequest({ type: 'new_keypair', queryId: seq(15), seed: seq(32) })).toThrow(ProtocolError);
    expect(() => encodeRequest({ type: 'next_message_box_index', queryId: seq(16), messageBoxIndex: seq(103) })).toThrow(
      /expected 104 bytes/,
    );
  });

  it('round-trips every request kind through the daemon-side decoder', () => {
    expect(REQUEST_KINDS).toHaveLength(21);
    for (const type of REQUEST_KINDS) {
      const decoded = decodeRequest(encodeRequest({ type } as never));
      expect(decoded.type).toBe(type);
    }
  });
});

describe('daemon message decoding', () => {
  const allKeys = (kind: string, body: unknown) => {
    const map: Record<string, unknown> = {};
    for (const key of RESPONSE_KINDS) map[key] = key === kind ? body : null;
    return plain.encode(map);
  };

  it('knows all 25 response kinds, in the daemon order', () => {
    expect(RESPONSE_KINDS).toHaveLength(25);
    expect(RESPONSE_KINDS[0]).toBe('session_token_reply');
    expect(RESPONSE_KINDS[24]).toBe('voucher_derive_stream_reply');
  });

  it('selects the one non-null variant of a 25-key map', () => {
    const body = allKeys('new_keypair_reply', {
      query_id: Buffer.from(seq(16)),
      write_cap: Buffer.from(seq(168)),
      read_cap: Buffer.from(seq(136)),
      first_message_index: Buffer.from(seq(104)),
      error_code: 0,
    });
    const message = decodeDaemonMessage(body);
    expect(message.type).toBe('new_keypair_reply');
    if (message.type !== 'new_keypair_reply') throw new Error('unreachable');
    expect(message.writeCap).toEqual(seq(168));
    expect(message.firstMessageIndex?.length).toBe(104);
    expect(message.errorCode).toBe(0);
  });

  it('decodes the connection status event with both geometries', () => {
    const body = allKeys('connection_status_event', {
      is_connected: false,
      err: null,
      instance_token: Buffer.from(seq(16)),
      sphinx_geometry: { PacketLength: 3082, NrHops: 5, UserForwardPayloadLength: 2000, NIKEName: 'x25519', KEMName: '', Unknown: 1 },
      pigeonhole_geometry: { MaxPlaintextPayloadLength: 1549, NIKEName: 'CTIDH1024-X25519', SignatureSchemeName: 'Ed25519' },
    });
    const message = decodeDaemonMessage(body);
    if (message.type !== 'connection_status_event') throw new Error(`got ${message.type}`);
    expect(message.isConnected).toBe(false);
    expect(message.instanceToken).toEqual(seq(16));
    expect(message.sphinxGeometry?.userForwardPayloadLength).toBe(2000);
    expect(message.sphinxGeometry?.nikeName).toBe('x25519');
    expect(message.pigeonholeGeometry?.maxPlaintextPayloadLength).toBe(1549);
  });

  it('decodes uint64 counters above 2^53 exactly', () => {
    const body = allKeys('get_message_box_index_counter_reply', {
      query_id: Buffer.from(seq(16)),
      counter: 2n ** 64n - 1n,
      error_code: 0,
    });
    const message = decodeDaemonMessage(body);
    if (message.type !== 'get_message_box_index_counter_reply') throw new Error('unreachable');
    expect(message.counter).toBe(2n ** 64n - 1n);
    const small = decodeDaemonMessage(allKeys('get_message_box_index_counter_reply', { query_id: Buffer.from(seq(16)), counter: 3, error_code: 0 }));
    expect((small as { counter: bigint }).counter).toBe(3n);
  });

  it('reads omitempty fields as zero values when absent', () => {
    const message = decodeDaemonMessage(allKeys('start_resending_copy_command_reply', { query_id: Buffer.from(seq(16)), error_code: 0 }));
    expect(message).toEqual({ type: 'start_resending_copy_command_reply', queryId: seq(16), errorCode: 0, replicaErrorCode: 0, failedEnvelopeIndex: 0n });
  });

  it('hands out plain Uint8Arrays that do not alias the frame for small fields', () => {
    const body = allKeys('session_token_reply', { app_id: Buffer.from(seq(16)), resumed: true });
    const message = decodeDaemonMessage(body);
    if (message.type !== 'session_token_reply') throw new Error('unreachable');
    expect(Object.getPrototypeOf(message.appId)).toBe(Uint8Array.prototype);
    body.fill(0);
    expect(message.appId).toEqual(seq(16));
  });

  it('surfaces an unknown variant instead of failing', () => {
    expect(decodeDaemonMessage(plain.encode({ shutdown_event: null, brand_new_event: { x: 1 } }))).toEqual({
      type: 'unknown',
      keys: ['brand_new_event'],
    });
  });

  it.each([
    ['garbage', unhex('ff ff ff')],
    ['an empty body', new Uint8Array(0)],
    ['trailing bytes', unhex('a0 00')],
    ['a non-map body', plain.encode([1, 2])],
    ['no variant', plain.encode({ shutdown_event: null })],
    ['two variants', plain.encode({ shutdown_event: {}, thin_close: {} })],
    ['a wrong field type', plain.encode({ session_token_reply: { app_id: 'text', resumed: true } })],
    ['a wrong fixed length', plain.encode({ next_message_box_index_reply: { query_id: Buffer.alloc(16), next_message_box_index: Buffer.alloc(3), error_code: 0 } })],
    ['an out-of-range error code', plain.encode({ cancel_resending_copy_command_reply: { query_id: Buffer.alloc(16), error_code: 256 } })],
    ['a variant that is not a map', plain.encode({ shutdown_event: 5 })],
  ])('refuses %s with a ProtocolError', (_label, body) => {
    expect(() => decodeDaemonMessage(body)).toThrow(ProtocolError);
  });

  it.each([
    ['a wrong field type', plain.encode({ session_token_reply: { app_id: 'text', resumed: true } }), 'session_token_reply'],
    ['an out-of-range error code', plain.encode({ cancel_resending_copy_command_reply: { query_id: Buffer.alloc(16, 3), error_code: 256 } }), 'cancel_resending_copy_command_reply'],
    ['a variant that is not a map', plain.encode({ shutdown_event: 5 }), 'shutdown_event'],
  ])('tells %s (one bad message) from a bad stream: MalformedMessageError naming the variant', (_label, body, kind) => {
    expect(() => decodeDaemonMessage(body)).toThrow(MalformedMessageError);
    expect(() => decodeDaemonMessage(body)).toThrow(expect.objectContaining({ kind }));
  });

  it('keeps the query id of a malformed reply when it is readable, so its request can fail', () => {
    const body = plain.encode({ cancel_resending_copy_command_reply: { query_id: Buffer.alloc(16, 3), error_code: 256 } });
    expect(() => decodeDaemonMessage(body)).toThrow(expect.objectContaining({ queryId: new Uint8Array(16).fill(3), surbId: null }));
    for (const body of [unhex('ff ff ff'), plain.encode([1, 2]), plain.encode({ shutdown_event: {}, thin_close: {} })]) {
      expect(() => decodeDaemonMessage(body)).not.toThrow(MalformedMessageError);
    }
  });
});

describe('daemon message encoding (the simulator side)', () => {
  it('writes all 25 keys with null for the others, like the daemon', () => {
    const body = encodeDaemonMessage({ type: 'shutdown_event' });
    const decoded = new Decoder({ mapsAsObjects: true }).decode(body) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(RESPONSE_KINDS);
    expect(decoded['shutdown_event']).toEqual({});
    expect(Object.values(decoded).filter((v) => v !== null)).toHaveLength(1);
  });

  it('round-trips a message through the client decoder', () => {
    const body = encodeDaemonMessage({ type: 'message_sent_event', surbId: seq(16), sentAt: 1_700_000_000, replyEta: 1_600_000_000 });
    expect(decodeDaemonMessage(body)).toEqual({
      type: 'message_sent_event',
      messageId: null,
      surbId: seq(16),
      sentAt: 1_700_000_000,
      replyEta: 1_600_000_000,
      err: '',
    });
  });
});

describe('large bodies (copy-stream payloads)', () => {
  const bigRequest = (size: number, from: number) =>
    ({ type: 'create_courier_envelopes_from_payload', queryId: seq(16), payload: seq(size, from), destWriteCap: seq(168), destStartIndex: seq(104), isStart: true, isLast: false }) as const;

  it('encodes a multi-megabyte payload exactly, and small requests after it are unaffected', () => {
    const big = encodeRequest(bigRequest(3 * 1024 * 1024 + 7, 5));
    const decoded = decodeRequest(big);
    if (decoded.type !== 'create_courier_envelopes_from_payload') throw new Error('unreachable');
    expect(decoded.payload).toEqual(seq(3 * 1024 * 1024 + 7, 5));
    // The encoder went back to a small buffer: a small request is still byte-exact.
    expect(hex(encodeFrame(encodeRequest({ type: 'thin_close' })))).toBe('0000000d' + 'a16a7468696e5f636c6f7365a0');
    // And the big body was not overwritten by the encodings that followed it.
    const again = decodeRequest(big);
    if (again.type !== 'create_courier_envelopes_from_payload') throw new Error('unreachable');
    expect(again.payload).toEqual(seq(3 * 1024 * 1024 + 7, 5));
  });

  it('encodes a daemon message carrying a large payload as the full 25-key map', () => {
    const payload = seq(200 * 1024, 9);
    const body = encodeDaemonMessage({ type: 'message_reply_event', messageId: seq(16), surbId: seq(16), payload, replyIndex: 0, errorCode: 0 });
    const decoded = decodeDaemonMessage(body);
    if (decoded.type !== 'message_reply_event') throw new Error(`unexpected ${decoded.type}`);
    expect(decoded.payload).toEqual(payload);
    expect(Object.keys(new Decoder({ mapsAsObjects: true }).decode(body) as object)).toEqual(RESPONSE_KINDS);
  });
});

describe('request decoding as the daemon does it', () => {
  it('zero-pads a short Go [16]byte instead of refusing it', () => {
    const body = plain.encode({ cancel_resending_copy_command: { query_id: Buffer.from(seq(4)), write_cap_hash: Buffer.from(seq(32)) } });
    const decoded = decodeRequest(body);
    if (decoded.type !== 'cancel_resending_copy_command') throw new Error('unreachable');
    expect(decoded.queryId).toEqual(Uint8Array.from([0, 1, 2, 3, ...new Array(12).fill(0)]));
  });

  it('refuses a BACAP blob of the wrong length (the daemon closes the connection)', () => {
    const body = plain.encode({ next_message_box_index: { query_id: Buffer.alloc(16), message_box_index: Buffer.alloc(100) } });
    expect(() => decodeRequest(body)).toThrow(ProtocolError);
  });

  it('gives thin_close precedence over every other key', () => {
    const body = plain.encode({ new_keypair: { seed: Buffer.alloc(32) }, thin_close: {} });
    expect(decodeRequest(body).type).toBe('thin_close');
  });
});
