import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, validateConfig } from '../../src/config/parse-config.js';
import { ConfigError } from '../../src/errors/local-errors.js';

const FILE = '/etc/kp/thinclient.toml';

/** Runs `f`, expects a ConfigError, returns it. */
function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

const toml = (...lines: string[]): string => lines.join('\n') + '\n';
const tcpToml = (address: string, extra: string[] = []): string =>
  toml('[Dial]', '[Dial.Tcp]', `Address = ${JSON.stringify(address)}`, ...extra);

describe('parseConfig (TOML text)', () => {
  it('reads [Dial.Tcp] with and without Network', () => {
    expect(parseConfig(tcpToml('localhost:64331'))).toEqual({ dial: { tcp: { address: 'localhost:64331' } } });
    const withNetwork = parseConfig(tcpToml('127.0.0.1:64331', ['Network = "tcp4"']));
    expect(withNetwork).toEqual({ dial: { tcp: { address: '127.0.0.1:64331', network: 'tcp4' } } });
    // Absent stays absent (exactOptionalPropertyTypes), not `undefined`.
    expect(Object.keys(parseConfig(tcpToml('h:1')).dial.tcp ?? {})).toEqual(['address']);
  });

  it('reads the three documented examples of PROTOCOL.md §1.3 (indented)', () => {
    expect(parseConfig('[Dial]\n  [Dial.Tcp]\n    Address = "localhost:64331"\n    Network = "tcp"\n')).toEqual({
      dial: { tcp: { address: 'localhost:64331', network: 'tcp' } },
    });
    expect(parseConfig('[Dial]\n  [Dial.Unix]\n    Address = "/path/to/kpclientd.sock"\n')).toEqual({
      dial: { unix: { address: '/path/to/kpclientd.sock' } },
    });
    expect(parseConfig('[Dial]\n  [Dial.Unix]\n    Address = "@abstract-name"\n')).toEqual({
      dial: { unix: { address: '@abstract-name' } },
    });
    expect(parseConfig('[Dial]\n  [Dial.Ws]\n    Address = "ws://localhost:12345"\n')).toEqual({
      dial: { ws: { address: 'ws://localhost:12345' } },
    });
  });

  it('accepts IPv6 literals, tcp6 with them, and dotted tables', () => {
    expect(parseConfig(tcpToml('[::1]:64331', ['Network = "tcp6"'])).dial.tcp).toEqual({
      address: '[::1]:64331',
      network: 'tcp6',
    });
    expect(parseConfig(tcpToml('[fe80::1%eth0]:1')).dial.tcp?.address).toBe('[fe80::1%eth0]:1');
    expect(parseConfig('Dial.Tcp.Address = "h:65535"\n').dial.tcp?.address).toBe('h:65535');
    expect(parseConfig(toml('[Dial.Ws]', 'Address = "wss://example.org/kp?x=1"')).dial.ws?.address).toBe(
      'wss://example.org/kp?x=1',
    );
  });

  it('returns a frozen config', () => {
    const config = parseConfig(tcpToml('h:1'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.dial)).toBe(true);
    expect(Object.isFrozen(config.dial.tcp)).toBe(true);
  });

  // One fixture per rule: [what, document, key named, message fragment].
  const cases: ReadonlyArray<readonly [string, string, string | undefined, RegExp]> = [
    ['unknown key in Tcp', tcpToml('h:1', ['Adress = "h:2"']), 'Dial.Tcp.Adress', /unknown key/],
    ['wrong case (Go would accept)', toml('[Dial]', '[Dial.Tcp]', 'address = "h:1"'), 'Dial.Tcp.address', /case-sensitive: did you mean "Address"/],
    ['lower-case [dial]', toml('[dial]', '[dial.tcp]', 'Address = "h:1"'), 'dial', /did you mean "Dial"/],
    ['unknown table under Dial', toml('[Dial]', '[Dial.Tcp]', 'Address = "h:1"', '[Dial.Quic]', 'Address = "h:2"'), 'Dial.Quic', /unknown key \(allowed here: Tcp, Unix, Ws\)/],
    ['unknown top-level table', toml('[Logging]', 'Level = "DEBUG"', '[Dial.Tcp]', 'Address = "h:1"'), 'Logging', /unknown key/],
    ['old top-level Network/Address', toml('Network = "tcp"', 'Address = "localhost:64331"'), 'Network', /replaced by \[Dial.Tcp\]/],
    ['old [SphinxGeometry]', toml('[SphinxGeometry]', 'UserForwardPayloadLength = 2000', '[Dial.Tcp]', 'Address = "h:1"'), 'SphinxGeometry', /handshake/],
    ['Network in Unix', toml('[Dial.Unix]', 'Address = "/s"', 'Network = "unix"'), 'Dial.Unix.Network', /unknown key \(allowed here: Address\)/],
    ['Network in Ws', toml('[Dial.Ws]', 'Address = "ws://h:1"', 'Network = "tcp"'), 'Dial.Ws.Network', /unknown key/],
    ['missing [Dial]', '', 'Dial', /missing required table \[Dial\]/],
    ['Dial is not a table', 'Dial = "tcp"\n', 'Dial', /expected a table, got a string/],
    ['no transport', '[Dial]\n', 'Dial', /exactly one of Tcp, Unix, Ws is required, found none/],
    ['two transports', toml('[Dial.Tcp]', 'Address = "h:1"', '[Dial.Unix]', 'Address = "/s"'), 'Dial', /found Tcp and Unix/],
    ['Tcp is not a table', toml('[Dial]', 'Tcp = 1'), 'Dial.Tcp', /expected a table, got an integer/],
    ['Tcp is an array of tables', toml('[[Dial.Tcp]]', 'Address = "h:1"'), 'Dial.Tcp', /expected a table, got an array/],
    ['missing Address', toml('[Dial.Tcp]', 'Network = "tcp"'), 'Dial.Tcp.Address', /missing required key/],
    ['Address integer', toml('[Dial.Tcp]', 'Address = 64331'), 'Dial.Tcp.Address', /expected a string, got an integer/],
    ['Address float', toml('[Dial.Unix]', 'Address = 1.5'), 'Dial.Unix.Address', /expected a string, got a float/],
    ['Address array', toml('[Dial.Ws]', 'Address = ["ws://h:1"]'), 'Dial.Ws.Address', /expected a string, got an array/],
    ['Address date-time', toml('[Dial.Tcp]', 'Address = 1979-05-27T07:32:00Z'), 'Dial.Tcp.Address', /got a date-time/],
    ['Address empty', tcpToml(''), 'Dial.Tcp.Address', /must not be empty/],
    ['Network not allowed', tcpToml('h:1', ['Network = "udp"']), 'Dial.Tcp.Network', /expected one of "tcp", "tcp4", "tcp6", got "udp"/],
    ['Network wrong type', tcpToml('h:1', ['Network = true']), 'Dial.Tcp.Network', /got a boolean/],
    ['Network wrong case', tcpToml('h:1', ['Network = "TCP"']), 'Dial.Tcp.Network', /got "TCP"/],
    ['no port', tcpToml('localhost'), 'Dial.Tcp.Address', /missing :port/],
    ['port 0', tcpToml('localhost:0'), 'Dial.Tcp.Address', /port must be a decimal number from 1 to 65535/],
    ['port 65536', tcpToml('localhost:65536'), 'Dial.Tcp.Address', /1 to 65535/],
    ['port by service name', tcpToml('localhost:http'), 'Dial.Tcp.Address', /decimal number/],
    ['port with sign', tcpToml('localhost:+80'), 'Dial.Tcp.Address', /decimal number/],
    ['empty port', tcpToml('localhost:'), 'Dial.Tcp.Address', /decimal number/],
    ['empty host', tcpToml(':64331'), 'Dial.Tcp.Address', /host is empty/],
    ['unbracketed IPv6', tcpToml('::1:64331'), 'Dial.Tcp.Address', /must be written in brackets/],
    ['bracketed without port', tcpToml('[::1]'), 'Dial.Tcp.Address', /missing :port after the \]/],
    ['unterminated bracket', tcpToml('[::1:64331'), 'Dial.Tcp.Address', /unterminated/],
    ['hostname in brackets', tcpToml('[localhost]:1'), 'Dial.Tcp.Address', /only an IPv6 address/],
    ['whitespace in host', tcpToml('local host:1'), 'Dial.Tcp.Address', /not allowed in a host name/],
    ['URL instead of host:port', tcpToml('tcp://h:1'), 'Dial.Tcp.Address', /invalid TCP address "tcp:\/\/h:1"/],
    ['tcp4 with IPv6 literal', tcpToml('[::1]:1', ['Network = "tcp4"']), 'Dial.Tcp.Network', /IPv6 address but Network is "tcp4"/],
    ['tcp6 with IPv4 literal', tcpToml('127.0.0.1:1', ['Network = "tcp6"']), 'Dial.Tcp.Network', /IPv4 address but Network is "tcp6"/],
    ['Unix empty abstract name', toml('[Dial.Unix]', 'Address = "@"'), 'Dial.Unix.Address', /abstract socket name after "@" is empty/],
    ['Unix NUL in path', toml('[Dial.Unix]', 'Address = "\\u0000name"'), 'Dial.Unix.Address', /NUL/],
    ['Ws http scheme', toml('[Dial.Ws]', 'Address = "http://h:1"'), 'Dial.Ws.Address', /must be a ws:\/\/ or wss:\/\/ URL/],
    ['Ws no scheme', toml('[Dial.Ws]', 'Address = "localhost:12345"'), 'Dial.Ws.Address', /ws:\/\/ or wss:\/\//],
    ['Ws not a URL', toml('[Dial.Ws]', 'Address = "ws://"'), 'Dial.Ws.Address', /is not a URL/],
    ['Ws fragment', toml('[Dial.Ws]', 'Address = "ws://h:1/#x"'), 'Dial.Ws.Address', /#fragment/],
    ['Ws credentials', toml('[Dial.Ws]', 'Address = "ws://u:hunter2@h:1"'), 'Dial.Ws.Address', /credentials/],
  ];

  it.each(cases)('rejects: %s', (_what, document, key, message) => {
    const error = configError(() => parseConfig(document, FILE));
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.name).toBe('ConfigError');
    expect(error.file).toBe(FILE);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    // The message alone (as logged) names the file and the key.
    expect(error.message.startsWith(`${FILE}: ${key}: `)).toBe(true);
  });

  it('never puts URL credentials into the message', () => {
    const error = configError(() => parseConfig(toml('[Dial.Ws]', 'Address = "ws://u:hunter2@h:1"'), FILE));
    expect(error.message).not.toContain('hunter2');
  });

  it('reports TOML syntax errors with file, line and column', () => {
    const error = configError(() => parseConfig(toml('[Dial]', '[Dial.Tcp]', 'Address = "unterminated'), FILE));
    expect(error.file).toBe(FILE);
    expect(error.key).toBeUndefined();
    expect(error.message).toMatch(new RegExp(`^${FILE}: line 3, column \\d+: invalid TOML: `));
    expect(error.message).not.toContain('\n'); // no code excerpt in a log line
    expect(error.cause).toBeDefined();
  });

  it('reports duplicate tables as syntax errors with their line', () => {
    const error = configError(() => parseConfig(toml('[Dial.Tcp]', 'Address = "h:1"', '', '[Dial.Tcp]', 'Address = "h:2"')));
    expect(error.file).toBeUndefined();
    expect(error.message).toMatch(/^line 4, column \d+: invalid TOML: /);
  });

  it('without a file name, the message starts with the key', () => {
    const error = configError(() => parseConfig(tcpToml('h:1', ['Adress = "x"'])));
    expect(error.file).toBeUndefined();
    expect(error.message).toBe('Dial.Tcp.Adress: unknown key (allowed here: Address, Network)');
  });
});

describe('validateConfig (object form)', () => {
  it('accepts the camelCase shape', () => {
    expect(validateConfig({ dial: { tcp: { address: 'localhost:64331', network: 'tcp6' } } })).toEqual({
      dial: { tcp: { address: 'localhost:64331', network: 'tcp6' } },
    });
    expect(validateConfig({ dial: { unix: { address: '@kp' } } })).toEqual({ dial: { unix: { address: '@kp' } } });
    expect(validateConfig({ dial: { ws: { address: 'ws://h:1' } } })).toEqual({ dial: { ws: { address: 'ws://h:1' } } });
  });

  it('accepts the TOML shape and returns the camelCase one', () => {
    expect(validateConfig({ Dial: { Tcp: { Address: 'h:1', Network: 'tcp4' } } })).toEqual({
      dial: { tcp: { address: 'h:1', network: 'tcp4' } },
    });
    expect(validateConfig({ Dial: { Ws: { Address: 'wss://h' } } })).toEqual({ dial: { ws: { address: 'wss://h' } } });
  });

  it('accepts null-prototype objects (what TOML parsers return)', () => {
    const inner = Object.assign(Object.create(null) as object, { address: '/run/kp.sock' });
    expect(validateConfig({ dial: { unix: inner } })).toEqual({ dial: { unix: { address: '/run/kp.sock' } } });
  });

  it('treats undefined properties as absent', () => {
    expect(validateConfig({ dial: { tcp: { address: 'h:1', network: undefined }, unix: undefined } })).toEqual({
      dial: { tcp: { address: 'h:1' } },
    });
  });

  it('shares nothing with the input', () => {
    const input = { dial: { tcp: { address: 'h:1' } } };
    const config = validateConfig(input);
    input.dial.tcp.address = 'changed:2';
    expect(config.dial.tcp?.address).toBe('h:1');
    expect(Object.isFrozen(config.dial.tcp)).toBe(true);
  });

  const cases: ReadonlyArray<readonly [string, unknown, string | undefined, RegExp]> = [
    ['null', null, undefined, /expected a config object, got null/],
    ['an array', [], undefined, /got an array/],
    ['a string', 'thinclient.toml', undefined, /got a string/],
    ['a class instance', new Map(), undefined, /got a non-plain object/],
    ['empty object', {}, 'dial', /missing required key/],
    ['both spellings', { dial: { tcp: { address: 'h:1' } }, Dial: {} }, undefined, /both "Dial" \(TOML spelling\) and "dial"/],
    ['unknown camel key', { dial: { tcp: { adress: 'h:1' } } }, 'dial.tcp.adress', /unknown key \(allowed here: address, network\)/],
    ['TOML key inside camel shape', { dial: { tcp: { Address: 'h:1' } } }, 'dial.tcp.Address', /case-sensitive: did you mean "address"/],
    ['camel key inside TOML shape', { Dial: { tcp: { address: 'h:1' } } }, 'Dial.tcp', /did you mean "Tcp"/],
    ['unknown top-level', { dial: { tcp: { address: 'h:1' } }, timeout: 5 }, 'timeout', /unknown key/],
    ['no transport', { dial: {} }, 'dial', /exactly one of tcp, unix, ws is required, found none/],
    ['three transports', { dial: { tcp: { address: 'h:1' }, unix: { address: '/s' }, ws: { address: 'ws://h' } } }, 'dial', /found tcp and unix and ws/],
    ['dial is a string', { dial: 'tcp' }, 'dial', /expected an object, got a string/],
    ['address is a number', { dial: { tcp: { address: 1 } } }, 'dial.tcp.address', /expected a string, got a number/],
    ['address null', { dial: { unix: { address: null } } }, 'dial.unix.address', /got null/],
    ['bad network', { dial: { tcp: { address: 'h:1', network: 'udp' } } }, 'dial.tcp.network', /got "udp"/],
    ['bad ws URL', { dial: { ws: { address: 'https://h' } } }, 'dial.ws.address', /ws:\/\/ or wss:\/\//],
  ];

  it.each(cases)('rejects: %s', (_what, input, key, message) => {
    const error = configError(() => validateConfig(input, 'options'));
    expect(error.key).toBe(key);
    expect(error.file).toBe('options');
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(key === undefined ? 'options: ' : `options: ${key}: `)).toBe(true);
  });
});

describe('browser safety', () => {
  // parse-config must stay importable in a browser bundle: walk its
  // relative imports and check that none reaches a Node built-in.
  it('parse-config.ts and what it imports use no Node built-ins', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const spec = match[1] as string;
        expect(spec.startsWith('node:') || ['fs', 'path', 'net', 'os'].includes(spec)).toBe(false);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(resolve(here, '../../src/config/parse-config.ts'));
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});
