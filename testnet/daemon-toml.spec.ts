import {
  renderListenTable,
  renderThinClientToml,
  replaceListenTable,
  setTopLevelKey,
  findFreePort,
} from './daemon-toml.js';
import { ConfigError } from '../src/errors/local-errors.js';

/** The head of a genconfig v0.0.99 client.toml, as written on this machine. */
const GENERATED = [
  'PKISignatureScheme = "Ed25519"',
  'WireKEMScheme = "xwing"',
  'MetricsAddress = ""',
  'AllowHostnameAddresses = true',
  '',
  '[Listen]',
  '  [Listen.Tcp]',
  '    Address = "kpclientd:64331"',
  '    Network = "tcp"',
  '',
  '[SphinxGeometry]',
  '  PacketLength = 3082',
  '',
].join('\n');

describe('daemon-toml', () => {
  it('replaces the whole [Listen] table and keeps what follows', () => {
    const out = replaceListenTable(GENERATED, renderListenTable({ transport: 'unix', path: '/tmp/k.sock' }));
    expect(out).toContain('[Listen]\n  [Listen.Unix]\n    Address = "/tmp/k.sock"\n');
    expect(out).not.toContain('Listen.Tcp');
    expect(out).not.toContain('kpclientd:64331');
    expect(out).toContain('[SphinxGeometry]\n  PacketLength = 3082');
    expect(out.startsWith('PKISignatureScheme = "Ed25519"')).toBe(true);
  });

  it('refuses a config without [Listen]', () => {
    expect(() => replaceListenTable('A = 1\n[Other]\n', '[Listen]\n')).toThrow(ConfigError);
  });

  it('renders tcp, unix and ws for both sides', () => {
    expect(renderListenTable({ transport: 'tcp', host: '127.0.0.1', port: 5 })).toBe(
      '[Listen]\n  [Listen.Tcp]\n    Address = "127.0.0.1:5"\n    Network = "tcp"\n',
    );
    expect(renderListenTable({ transport: 'ws', host: '127.0.0.1', port: 7, path: '/' })).toBe(
      '[Listen]\n  [Listen.Ws]\n    Address = "ws://127.0.0.1:7/"\n',
    );
    expect(renderThinClientToml({ transport: 'tcp', host: '127.0.0.1', port: 5 })).toBe(
      '[Dial]\n  [Dial.Tcp]\n    Address = "127.0.0.1:5"\n    Network = "tcp"\n',
    );
    expect(renderThinClientToml({ transport: 'unix', path: '/tmp/k.sock' })).toBe('[Dial]\n  [Dial.Unix]\n    Address = "/tmp/k.sock"\n');
  });

  it('sets a top-level key before the first table, replacing an existing one', () => {
    const added = setTopLevelKey(GENERATED, 'SessionGracePeriod', '"2m"');
    expect(added.indexOf('SessionGracePeriod = "2m"')).toBeLessThan(added.indexOf('[Listen]'));
    const replaced = setTopLevelKey(added, 'SessionGracePeriod', '"45s"');
    expect(replaced.match(/SessionGracePeriod/g)).toHaveLength(1);
    expect(replaced).toContain('SessionGracePeriod = "45s"');
  });

  it('finds a free port', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
