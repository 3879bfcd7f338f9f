import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

import type { SimulatorHandle } from '../../src/sim/index.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { decodeDaemonMessage, encodeRequest } from '../../src/wire/codec.js';
import { encodeFrame } from '../../src/wire/frame-encoder.js';
import { connectSession, id16 } from './support/raw-client.js';

// PROTOCOL.md §1.2: the three listeners. The WebSocket one writes each frame as two binary messages.

const base = { realTime: 'handshakes over each transport; only frames are asserted', seed: 'transports' } as const;

describe('simulator listeners', () => {
  let sim: SimulatorHandle | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('serves a Unix socket and gives a [Dial.Unix] config', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kpsim-'));
    const path = join(dir, 'kpclientd.sock');
    sim = await startSpecSimulator({ ...base, listen: { unix: path } });
    expect(sim.config).toEqual({ dial: { unix: { address: path } } });
    expect(sim.thinClientToml()).toBe(`[Dial]\n  [Dial.Unix]\n    Address = ${JSON.stringify(path)}\n`);
    const { client, appId } = await connectSession(path);
    expect(appId).toHaveLength(16);
    client.destroy();
  });

  it('serves a Linux abstract socket (@name)', async () => {
    const name = `@kpsim-test-${process.pid}-${Date.now()}`; // real-time: a unique name only
    sim = await startSpecSimulator({ ...base, listen: { unix: name } });
    const { client, appId } = await connectSession(name);
    expect(appId).toHaveLength(16);
    client.destroy();
  });

  it('serves WebSocket on any path, binary only, a frame as a prefix message and a body message', async () => {
    sim = await startSpecSimulator({ ...base, listen: { ws: 'ws://127.0.0.1:0' } });
    expect(sim.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const ws = new WebSocket(`${sim.address}/any/path`);
    const messages: Buffer[] = [];
    let wake: () => void = () => undefined;
    ws.on('message', (data: Buffer) => {
      messages.push(data);
      wake();
    });
    const count = async (n: number): Promise<void> => {
      while (messages.length < n) await new Promise<void>((resolve) => (wake = resolve));
    };
    await new Promise((resolve) => ws.once('open', resolve));
    await count(4);
    // connection_status_event: 4-byte prefix, then the body.
    expect(messages[0]!.length).toBe(4);
    expect(messages[0]!.readUInt32BE(0)).toBe(messages[1]!.length);
    expect(decodeDaemonMessage(messages[1]!).type).toBe('connection_status_event');
    expect(decodeDaemonMessage(messages[3]!).type).toBe('new_pki_document_event');
    ws.send(encodeFrame(encodeRequest({ type: 'session_token', clientInstanceToken: id16(1) })));
    await count(6);
    expect(decodeDaemonMessage(messages[5]!).type).toBe('session_token_reply');
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    ws.send('text is refused');
    expect(await closed).toBe(1003);
  });

  it('refuses a second listener on a taken TCP port', async () => {
    sim = await startSpecSimulator(base);
    await expect(startSpecSimulator({ ...base, listen: { tcp: sim.address } })).rejects.toThrow(/cannot listen/);
  });
});
