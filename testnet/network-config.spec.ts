import { disableServicePlugin, genconfigFlags, nodeAddressPorts, toLocalhost } from './network-config.js';
import { completeConsensusEpoch, currentDocumentEpoch, goDurationMs } from './testnet.js';

/** Shapes genconfig v0.0.99 writes (trimmed). */
const AUTHORITY = ['[Server]', '  Identifier = "auth1"', '  Addresses = ["tcp://auth1:30001"]', '  MetricsAddress = "auth1:30002"', '', '[[Authorities]]', '  Addresses = ["tcp://auth2:30003"]', ''].join('\n');

const SERVICE_NODE = [
  '[ServiceNode]',
  '  [[ServiceNode.CBORPluginKaetzchen]]',
  '    Capability = "courier"',
  '    Endpoint = "courier"',
  '    Command = "/n/courier"',
  '    Disable = false',
  '    [ServiceNode.CBORPluginKaetzchen.Config]',
  '      c = "/n/servicenode1/courier/courier.toml"',
  '',
  '  [[ServiceNode.CBORPluginKaetzchen]]',
  '    Capability = "http"',
  '    Endpoint = "+http"',
  '    Command = "/n/proxy_server"',
  '    Disable = false',
  '    [ServiceNode.CBORPluginKaetzchen.Config]',
  '      host = "localhost:4242"',
  '      Disable = false',
  '',
].join('\n');

describe('genconfig output rewritten for one machine', () => {
  it('finds the port of every docker-hostname address, with or without tcp://', () => {
    expect(nodeAddressPorts(AUTHORITY)).toEqual([30001, 30002, 30003]);
    expect(nodeAddressPorts('Addresses = ["tcp://replica12:31000"]\nx = "servicenode1:30010"')).toEqual([31000, 30010]);
    // kpclientd's listener and a plugin's own address are not node addresses.
    expect(nodeAddressPorts('Address = "kpclientd:64331"\nhost = "localhost:4242"')).toEqual([]);
  });

  it('rewrites each to 127.0.0.1 and its chosen port, and refuses a port nobody chose', () => {
    const ports = new Map([
      [30001, 21001],
      [30002, 21002],
      [30003, 21003],
    ]);
    const out = toLocalhost(AUTHORITY, ports);
    expect(out).toContain('Addresses = ["tcp://127.0.0.1:21001"]');
    expect(out).toContain('MetricsAddress = "127.0.0.1:21002"');
    expect(out).toContain('Addresses = ["tcp://127.0.0.1:21003"]');
    expect(nodeAddressPorts(out)).toEqual([]);
    expect(() => toLocalhost(AUTHORITY, new Map([[30001, 21001]]))).toThrow('no free port chosen for generated port 30002');
  });

  it('disables exactly the named plugin (its own Disable key, not one in a sub-table)', () => {
    const out = disableServicePlugin(SERVICE_NODE, 'http');
    const [, courier, http] = out.split('[[ServiceNode.CBORPluginKaetzchen]]');
    expect(courier).toContain('Disable = false');
    expect(http).toMatch(/Endpoint = "\+http"\n {4}Command = "\/n\/proxy_server"\n {4}Disable = true\n/);
    expect(http).toContain('      Disable = false'); // the sub-table's key is untouched
    expect(() => disableServicePlugin(SERVICE_NODE, 'nosuch')).toThrow('the service node has no "nosuch" plugin');
  });

  it('asks genconfig for the smallest working network: 2 authorities, 1 mix, 1 gateway, 1 service node, 2 replicas', () => {
    const flags = genconfigFlags({ sessionGracePeriod: '2m', logLevel: 'DEBUG' });
    const value = (flag: string) => flags[flags.indexOf(flag) + 1];
    expect([value('--nrVoting'), value('--layers'), value('--nodes'), value('--gateways'), value('--serviceNodes'), value('--storageNodes')]).toEqual(['2', '1', '1', '1', '1', '2']);
    expect(flags).toContain('--voting');
    expect(flags).not.toContain('--epochDuration'); // written only into docker-compose.yml; the processes read KATZENPOST_EPOCH_DURATION
  });
});

describe('readiness from the logs', () => {
  const consensus = (epoch: number, nodes: string[]) =>
    [
      `00:10:37.504 NOTI state: Consensus made for epoch ${epoch} with 2/2 signatures: &{Epoch: ${epoch} GenesisEpoch: ${epoch}`,
      'Topology:',
      ...nodes.map((n) => `  [0]{[{${n} 20aa25c4 map[tcp4:[tcp://127.0.0.1:1]]}]}`),
      '}',
      '00:10:37.507 NOTI state: FSM: SUCCESS!',
    ].join('\n');

  it('takes the first consensus that lists every node (a replica late for the first one is in the next)', () => {
    const everyone = ['mix1', 'gateway1', 'servicenode1', 'replica1', 'replica2'];
    const log = `${consensus(7, ['mix1', 'gateway1', 'servicenode1', 'replica1'])}\n${consensus(8, everyone)}\n`;
    expect(completeConsensusEpoch(log, everyone)).toBe(8);
    expect(completeConsensusEpoch(consensus(7, everyone).split('\n').slice(0, -1).join('\n'), everyone)).toBeUndefined(); // block not ended yet
    expect(completeConsensusEpoch('CONSENSUS FAILURE', everyone)).toBeUndefined();
  });

  it('finds the current document of a node at or after an epoch', () => {
    const log = 'x Document cached for current epoch 6, reset\ny Document cached for current epoch 8, reset\n';
    expect(currentDocumentEpoch(log, 7)).toBe(8);
    expect(currentDocumentEpoch(log, 9)).toBeUndefined();
  });

  it('reads Go durations and refuses anything else', () => {
    expect(goDurationMs('1m')).toBe(60_000);
    expect(goDurationMs('1m30s')).toBe(90_000);
    expect(goDurationMs('250ms')).toBe(250);
    expect(() => goDurationMs('1 minute')).toThrow('not a Go duration');
    expect(() => goDurationMs('')).toThrow('not a Go duration');
  });
});
