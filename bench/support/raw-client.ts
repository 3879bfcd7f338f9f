import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Decoder, Encoder } from 'cbor-x';

/**
 * The baseline of P1: the least code that speaks the thin-client protocol
 * correctly for pipelined local requests — a socket, cbor-x with the
 * options PROTOCOL.md needs (no tags), 4-byte framing, and replies matched
 * to requests by query id through a Map (hex keys, as the SDK does). No
 * Observables, no validation, no schema tables, no reconnects. Whatever
 * the SDK costs beyond this is overhead.
 *
 * @example
 * const raw = await RawClient.connect('127.0.0.1:64331');
 * raw.request('next_message_box_index', { message_box_index: index }, (reply) => console.log(reply));
 */
export class RawClient {
  private readonly encoder = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, pack: false });
  private readonly decoder = new Decoder({ mapsAsObjects: true, useRecords: false });
  private readonly waiting = new Map<string, (reply: Record<string, unknown>) => void>();
  private pendingBytes: Buffer | null = null;
  private onMessage: (message: Record<string, unknown>) => void = () => undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Connects and completes the handshake (greeting pair, session token). */
  static async connect(address: string): Promise<RawClient> {
    const colon = address.lastIndexOf(':');
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    await new Promise<void>((resolve) => {
      let greeted = 0;
      client.onMessage = (message) => {
        if (message['connection_status_event'] || message['new_pki_document_event']) {
          if (++greeted === 2) client.send({ session_token: { client_instance_token: randomBytes(16) } });
        } else if (message['session_token_reply']) {
          resolve();
        }
      };
    });
    client.onMessage = (message) => client.route(message);
    return client;
  }

  /** Sends `{ [kind]: { query_id, ...fields } }` and calls `onReply` with the reply's inner map. */
  request(kind: string, fields: Record<string, unknown>, onReply: (reply: Record<string, unknown>) => void): void {
    const queryId = randomBytes(16);
    this.waiting.set(queryId.toString('hex'), onReply);
    this.send({ [kind]: { query_id: queryId, ...fields } });
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.waiting.size;
  }

  close(): void {
    this.send({ thin_close: {} });
    this.socket.end();
  }

  private send(message: unknown): void {
    const body = this.encoder.encode(message);
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    frame.set(body, 4);
    this.socket.write(frame);
  }

  private receive(chunk: Buffer): void {
    let bytes = this.pendingBytes ? Buffer.concat([this.pendingBytes, chunk]) : chunk;
    let at = 0;
    while (bytes.length - at >= 4) {
      const length = bytes.readUInt32BE(at);
      if (bytes.length - at - 4 < length) break;
      this.onMessage(this.decoder.decode(bytes.subarray(at + 4, at + 4 + length)) as Record<string, unknown>);
      at += 4 + length;
    }
    this.pendingBytes = at === bytes.length ? null : bytes.subarray(at);
  }

  private route(message: Record<string, unknown>): void {
    // The daemon sends every key, null but one: find the reply.
    for (const key in message) {
      const reply = message[key] as Record<string, unknown> | null;
      if (reply === null || typeof reply !== 'object') continue;
      const queryId = reply['query_id'] as Buffer | null | undefined;
      if (!queryId) return;
      const hex = queryId.toString('hex');
      const onReply = this.waiting.get(hex);
      if (onReply) {
        this.waiting.delete(hex);
        onReply(reply);
      }
      return;
    }
  }
}
