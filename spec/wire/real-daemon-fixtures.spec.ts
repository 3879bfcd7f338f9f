import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeDaemonMessage, encodeDaemonMessage } from '../../src/wire/codec.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import { encodeFrame } from '../../src/wire/frame-encoder.js';
import type { DaemonMessage } from '../../src/wire/messages.js';

/**
 * Frames captured from the real kpclientd v0.0.99 (see the fixtures'
 * README). Decoding them checks our reading of the daemon; re-encoding them
 * with the simulator's encoder and comparing bytes checks that the
 * simulator writes exactly what the daemon writes.
 */
const dir = path.join(process.cwd(), 'spec/fixtures/real-daemon');
const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith('.hex'))
  .map((name) => ({ name: name.replace(/\.hex$/, ''), frame: new Uint8Array(Buffer.from(readFileSync(path.join(dir, name), 'utf8').trim(), 'hex')) }));

function bodyOf(frame: Uint8Array): Uint8Array {
  const bodies: Uint8Array[] = [];
  new FrameDecoder().push(frame, (body) => bodies.push(body));
  expect(bodies).toHaveLength(1);
  return bodies[0]!;
}

function decode(name: string): DaemonMessage {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  const message = decodeDaemonMessage(bodyOf(fixture.frame));
  if (message.type === 'unknown') throw new Error(`${name}: unknown variant`);
  return message;
}

describe('frames captured from the real kpclientd v0.0.99', () => {
  it('has fixtures to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixtures.map((f) => [f.name, f.frame] as const))('%s: decodes, and the simulator encoder reproduces it byte for byte', (_name, frame) => {
    const message = decodeDaemonMessage(bodyOf(frame));
    expect(message.type).not.toBe('unknown');
    const reencoded = encodeFrame(encodeDaemonMessage(message as DaemonMessage));
    expect(Buffer.from(reencoded).toString('hex')).toBe(Buffer.from(frame).toString('hex'));
  });

  it('reads the offline handshake: geometry of the docker network, no mixnet, no document', () => {
    const status = decode('handshake-connection-status-event');
    if (status.type !== 'connection_status_event') throw new Error(status.type);
    expect(status.isConnected).toBe(false);
    expect(status.instanceToken).toHaveLength(16);
    expect(status.sphinxGeometry).toMatchObject({ userForwardPayloadLength: 2000, forwardPayloadLength: 2574, nrHops: 5, nikeName: 'x25519' });
    expect(status.pigeonholeGeometry).toMatchObject({ maxPlaintextPayloadLength: 1549, courierQueryWriteLength: 2000, nikeName: 'CTIDH1024-X25519' });
    expect(decode('handshake-new-pki-document-event')).toEqual({ type: 'new_pki_document_event', payload: null });
  });

  it('reads capabilities of the BACAP sizes, with the read cap = public key ‖ the write cap index', () => {
    const reply = decode('new-keypair-reply');
    if (reply.type !== 'new_keypair_reply') throw new Error(reply.type);
    expect([reply.writeCap?.length, reply.readCap?.length, reply.firstMessageIndex?.length]).toEqual([168, 136, 104]);
    expect(reply.readCap!.subarray(0, 32)).toEqual(reply.writeCap!.exposeBytes().subarray(32, 64));
    expect(reply.readCap!.subarray(32)).toEqual(reply.writeCap!.exposeBytes().subarray(64));
    expect(reply.firstMessageIndex).toEqual(reply.writeCap!.exposeBytes().subarray(64));
  });

  it('reads a 64-bit counter exactly (little-endian Idx64 of the index)', () => {
    const reply = decode('get-message-box-index-counter-reply');
    const keypair = decode('new-keypair-reply');
    if (reply.type !== 'get_message_box_index_counter_reply' || keypair.type !== 'new_keypair_reply') throw new Error('types');
    const idx64 = new DataView(keypair.firstMessageIndex!.buffer, keypair.firstMessageIndex!.byteOffset).getBigUint64(0, true);
    expect(reply.counter).toBe(idx64);
    expect(reply.counter).toBe(7198948105556719352n);
    const big = decode('get-message-box-index-counter-reply-big');
    expect((big as { counter: bigint }).counter).toBe(2n ** 60n + 1n);
  });

  it('reads the offline error replies', () => {
    expect(decode('encrypt-write-reply-offline')).toMatchObject({ errorCode: 4, messageCiphertext: null });
    expect(decode('get-pki-document-reply-epoch0')).toMatchObject({ errorCode: 10, payload: null });
    expect(decode('new-keypair-reply-seed-31')).toMatchObject({ errorCode: 3, writeCap: null });
    expect(decode('cancel-resending-encrypted-message-reply-unknown')).toMatchObject({ errorCode: 0 });
  });
});
