import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError } from '../errors/local-errors.js';
import type { DialConfig, TcpDial, ThinClientConfig, UnixDial, WsDial } from './dial-config.js';
import { parseTcpAddress } from './parse-tcp-address.js';

// Browser-safe on purpose: nothing here (or in what it imports) touches
// node:fs or any other Node built-in, so a browser bundle can validate a
// config object; only load-config.ts reads files.

/** The key spellings of one input shape (PROTOCOL.md §1.3). */
interface Spelling {
  readonly dial: string;
  readonly tcp: string;
  readonly unix: string;
  readonly ws: string;
  readonly address: string;
  readonly network: string;
  /** What a nested map is called in messages, with its article. */
  readonly table: string;
  readonly toml: boolean;
}

const TOML: Spelling = {
  dial: 'Dial',
  tcp: 'Tcp',
  unix: 'Unix',
  ws: 'Ws',
  address: 'Address',
  network: 'Network',
  table: 'a table',
  toml: true,
};

const OBJECT: Spelling = {
  dial: 'dial',
  tcp: 'tcp',
  unix: 'unix',
  ws: 'ws',
  address: 'address',
  network: 'network',
  table: 'an object',
  toml: false,
};

const NETWORKS = ['tcp', 'tcp4', 'tcp6'] as const;

// Keys that older thinclient.toml files carried (PROTOCOL.md §10): named
// explicitly so an upgrade gets a message that says what to do.
const RETIRED_TOP_LEVEL: Readonly<Record<string, string>> = {
  Network: 'the top-level Network/Address pair was replaced by [Dial.Tcp] or [Dial.Unix]',
  Address: 'the top-level Network/Address pair was replaced by [Dial.Tcp] or [Dial.Unix]',
  SphinxGeometry: 'geometry is no longer configured client-side; the daemon sends it in the handshake',
  PigeonholeGeometry: 'geometry is no longer configured client-side; the daemon sends it in the handshake',
};

/**
 * Parses the text of a `thinclient.toml` (PROTOCOL.md §1.3) into a typed
 * config, strictly: only the `[Dial]` table with exactly one of
 * `[Dial.Tcp]`, `[Dial.Unix]`, `[Dial.Ws]`; any unknown key, wrong type or
 * malformed address is a {@link ConfigError} naming the key as a dotted path
 * (e.g. `Dial.Tcp.Adress`) and the file.
 *
 * Keys are case-sensitive. Go's TOML decoder falls back to case-insensitive
 * matching; we do not, because the exact spellings are the documented ones
 * and a config that only works through a fallback behaves differently in
 * the Python client (also case-sensitive) — better to say so at load time.
 *
 * Browser-safe (no Node built-ins).
 *
 * @param text The TOML document.
 * @param file Named in error messages; defaults to nothing.
 * @example
 * const config = parseConfig('[Dial]\n[Dial.Tcp]\nAddress = "localhost:64331"\n', 'thinclient.toml');
 * // config.dial.tcp?.address === 'localhost:64331'
 */
export function parseConfig(text: string, file?: string): ThinClientConfig {
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      // smol-toml's message is a headline plus a code excerpt; the excerpt
      // repeats the file's text, which belongs in an editor, not a log line.
      const headline = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError(`line ${error.line}, column ${error.column}: invalid TOML: ${headline}`, {
        ...fileContext(file),
        cause: error,
      });
    }
    throw error;
  }
  return validateWith(document, TOML, file);
}

/**
 * Validates a config object, e.g. one passed to `ThinClient.connect`.
 * Accepts our camelCase shape `{ dial: { tcp: { address, network? } } }`
 * and the TOML shape `{ Dial: { Tcp: { Address } } }` (as a TOML parser
 * returns it) with the same strictness as {@link parseConfig}; one object
 * must use one spelling throughout. A property whose value is `undefined`
 * counts as absent (common when options are spread together).
 *
 * Returns a fresh, frozen {@link ThinClientConfig} that shares nothing with
 * the input. Browser-safe.
 *
 * @param obj The candidate config.
 * @param source Named in error messages like a file name (e.g. `'options'`).
 * @example
 * validateConfig({ dial: { ws: { address: 'ws://localhost:12345' } } });
 * validateConfig({ Dial: { Unix: { Address: '@kpclientd' } } });
 */
export function validateConfig(obj: unknown, source?: string): ThinClientConfig {
  if (!isPlainObject(obj)) {
    throw new ConfigError(`expected a config object, got ${describe(obj, OBJECT)}`, fileContext(source));
  }
  const hasToml = present(obj, TOML.dial);
  const hasObject = present(obj, OBJECT.dial);
  if (hasToml && hasObject) {
    throw new ConfigError(
      `both "${TOML.dial}" (TOML spelling) and "${OBJECT.dial}" are present; use one spelling throughout`,
      fileContext(source),
    );
  }
  return validateWith(obj, hasToml ? TOML : OBJECT, source);
}

function validateWith(document: unknown, s: Spelling, file: string | undefined): ThinClientConfig {
  const fail = (message: string, key?: string): never => {
    throw new ConfigError(message, { ...fileContext(file), ...(key === undefined ? {} : { key }) });
  };

  if (!isPlainObject(document)) fail(`expected ${s.table}, got ${describe(document, s)}`);
  const root = document as Record<string, unknown>;
  checkKeys(root, [s.dial], '', s, fail, RETIRED_TOP_LEVEL);
  const dialValue = value(root, s.dial);
  if (dialValue === undefined) fail(`missing required ${s.toml ? 'table [Dial]' : 'key'}`, s.dial);
  const dial = table(dialValue, s.dial, s, fail);

  checkKeys(dial, [s.tcp, s.unix, s.ws], s.dial, s, fail);
  const chosen = [s.tcp, s.unix, s.ws].filter((k) => value(dial, k) !== undefined);
  if (chosen.length !== 1) {
    fail(
      `exactly one of ${s.tcp}, ${s.unix}, ${s.ws} is required, found ${
        chosen.length === 0 ? 'none' : chosen.join(' and ')
      }`,
      s.dial,
    );
  }
  const kind = chosen[0] as string;
  const path = `${s.dial}.${kind}`;
  const inner = table(value(dial, kind), path, s, fail);

  let result: DialConfig;
  if (kind === s.tcp) {
    result = Object.freeze({ tcp: tcpDial(inner, path, s, fail) });
  } else if (kind === s.unix) {
    result = Object.freeze({ unix: unixDial(inner, path, s, fail) });
  } else {
    result = Object.freeze({ ws: wsDial(inner, path, s, fail) });
  }
  return Object.freeze({ dial: result });
}

type Fail = (message: string, key?: string) => never;

function tcpDial(t: Record<string, unknown>, path: string, s: Spelling, fail: Fail): TcpDial {
  checkKeys(t, [s.address, s.network], path, s, fail);
  const addressKey = `${path}.${s.address}`;
  const address = requiredString(t, s.address, addressKey, s, fail);
  const parsed = parseTcpAddress(address);
  if (!parsed.ok) fail(`invalid TCP address "${address}": ${parsed.reason}`, addressKey);

  const networkValue = value(t, s.network);
  if (networkValue === undefined) return Object.freeze({ address });
  const networkKey = `${path}.${s.network}`;
  const network = NETWORKS.find((n) => n === networkValue);
  if (network === undefined) {
    fail(
      `expected one of ${NETWORKS.map((n) => `"${n}"`).join(', ')}, got ${
        typeof networkValue === 'string' ? `"${networkValue}"` : describe(networkValue, s)
      }`,
      networkKey,
    );
  }
  // Go would only find this out when dialing; an IP literal with the wrong
  // family can never connect, so say it now.
  if (parsed.ok && network === 'tcp4' && parsed.address.ipv6Literal) {
    fail(`"${address}" is an IPv6 address but ${s.network} is "tcp4"`, networkKey);
  }
  if (parsed.ok && network === 'tcp6' && isIpv4Literal(parsed.address.host)) {
    fail(`"${address}" is an IPv4 address but ${s.network} is "tcp6"`, networkKey);
  }
  return Object.freeze({ address, network: network as (typeof NETWORKS)[number] });
}

function unixDial(t: Record<string, unknown>, path: string, s: Spelling, fail: Fail): UnixDial {
  checkKeys(t, [s.address], path, s, fail);
  const key = `${path}.${s.address}`;
  const address = requiredString(t, s.address, key, s, fail);
  if (address === '@') fail('the abstract socket name after "@" is empty', key);
  // A NUL would silently truncate the path in the kernel; abstract names
  // are spelled with a leading "@" as in Go and the Python client.
  if (address.includes('\0')) fail('must not contain a NUL character (write "@name" for an abstract socket)', key);
  return Object.freeze({ address });
}

function wsDial(t: Record<string, unknown>, path: string, s: Spelling, fail: Fail): WsDial {
  checkKeys(t, [s.address], path, s, fail);
  const key = `${path}.${s.address}`;
  const address = requiredString(t, s.address, key, s, fail);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return fail(`"${address}" is not a URL (expected ws://host:port or wss://host:port)`, key);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    fail(`"${address}" must be a ws:// or wss:// URL`, key);
  }
  if (url.hostname === '') fail(`"${address}" has no host`, key);
  // The WebSocket constructor rejects fragments (SyntaxError); say it here.
  if (url.hash !== '' || address.includes('#')) fail(`"${address}" must not have a #fragment`, key);
  // The daemon has no authentication, and error messages name the address:
  // credentials in it would end up in logs.
  if (url.username !== '' || url.password !== '') {
    fail('the URL must not contain credentials (user:password@)', key);
  }
  return Object.freeze({ address });
}

function requiredString(
  t: Record<string, unknown>,
  name: string,
  key: string,
  s: Spelling,
  fail: Fail,
): string {
  const v = value(t, name);
  if (v === undefined) fail('missing required key', key);
  if (typeof v !== 'string') return fail(`expected a string, got ${describe(v, s)}`, key);
  if (v === '') fail('must not be empty', key);
  return v;
}

function table(v: unknown, key: string, s: Spelling, fail: Fail): Record<string, unknown> {
  if (!isPlainObject(v)) return fail(`expected ${s.table}, got ${describe(v, s)}`, key);
  return v;
}

function checkKeys(
  t: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  s: Spelling,
  fail: Fail,
  retired: Readonly<Record<string, string>> = {},
): void {
  for (const k of Object.keys(t)) {
    if (allowed.includes(k)) continue;
    // `undefined` means absent for config objects built in code.
    if (!s.toml && t[k] === undefined) continue;
    const key = path === '' ? k : `${path}.${k}`;
    const reason = Object.hasOwn(retired, k) ? retired[k] : undefined;
    if (reason !== undefined) fail(`unknown key: ${reason}`, key);
    const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase());
    fail(
      near === undefined
        ? `unknown key (allowed here: ${allowed.join(', ')})`
        : `unknown key (keys are case-sensitive: did you mean "${near}"?)`,
      key,
    );
  }
}

function value(t: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(t, key) ? t[key] : undefined;
}

function present(t: Record<string, unknown>, key: string): boolean {
  return value(t, key) !== undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  // smol-toml builds tables with a null prototype.
  return proto === Object.prototype || proto === null;
}

function isIpv4Literal(host: string): boolean {
  return /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(host);
}

/** A value's type in the vocabulary of the input's format, never the value itself. */
function describe(v: unknown, s: Spelling): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return s.toml ? 'a date-time' : 'a Date';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'bigint':
      return 'an integer';
    case 'number':
      return s.toml ? (Number.isInteger(v) ? 'an integer' : 'a float') : 'a number';
    case 'object':
      return isPlainObject(v) ? s.table : 'a non-plain object';
    default:
      return typeof v;
  }
}

function fileContext(file: string | undefined): { file?: string } {
  return file === undefined ? {} : { file };
}
