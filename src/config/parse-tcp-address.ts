/**
 * A TCP address split into the parts `net.connect` wants. `host` carries no
 * brackets (`::1`, not `[::1]`).
 *
 * @example
 * const a: TcpAddress = { host: '::1', port: 64331, ipv6Literal: true };
 */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
  /** `true` when the host was written as a bracketed IPv6 literal. */
  readonly ipv6Literal: boolean;
}

/**
 * The outcome of {@link parseTcpAddress}: the parts, or why the address is invalid.
 *
 * @example
 * const r: TcpAddressResult = parseTcpAddress('localhost:64331');
 * if (r.ok) console.log(r.address.port);
 */
export type TcpAddressResult =
  | { readonly ok: true; readonly address: TcpAddress }
  | { readonly ok: false; readonly reason: string };

// Bracket content: hex groups, colons, an optional embedded IPv4 tail and an
// optional zone (`fe80::1%eth0`). Deliberately loose — the OS decides the
// rest — but it keeps hostnames out of brackets, which Go would accept and
// Node would not resolve.
const IPV6_LITERAL = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[^\]\s]+)?$/;
// Hostnames and IPv4 literals: no colon (an unbracketed IPv6 address is
// ambiguous with the port separator), no brackets, no whitespace, no slash.
const PLAIN_HOST = /^[^\s:[\]/@]+$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * Splits `host:port` or `[v6]:port` the way Go's `net.SplitHostPort` does,
 * but stricter: the host must not be empty (Go would dial the local
 * system; Node would too, but an empty host in a config file is almost
 * always a mistake, so we ask for `localhost` explicitly) and the port must
 * be a decimal number in 1–65535 (Go also accepts service names such as
 * `http`; Node does not).
 *
 * Pure and browser-safe: shared by config validation and the TCP transport.
 *
 * @example
 * parseTcpAddress('[::1]:64331'); // { ok: true, address: { host: '::1', port: 64331, ipv6Literal: true } }
 * parseTcpAddress('localhost');   // { ok: false, reason: 'missing :port …' }
 */
export function parseTcpAddress(text: string): TcpAddressResult {
  let host: string;
  let portText: string;
  let ipv6Literal = false;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail('unterminated [ in IPv6 address');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!rest.startsWith(':')) return fail('missing :port after the ]');
    portText = rest.slice(1);
    if (!IPV6_LITERAL.test(host)) return fail('only an IPv6 address may stand in brackets');
    ipv6Literal = true;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return fail('missing :port (expected host:port or [v6]:port)');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return fail('an IPv6 address must be written in brackets, e.g. [::1]:64331');
    if (host === '') return fail('the host is empty (write localhost:PORT for the local machine)');
    if (!PLAIN_HOST.test(host)) return fail('the host contains characters not allowed in a host name');
  }
  if (!PORT.test(portText)) return fail('the port must be a decimal number from 1 to 65535');
  const port = Number(portText);
  if (port < 1 || port > 65535) return fail('the port must be a decimal number from 1 to 65535');
  return { ok: true, address: { host, port, ipv6Literal } };
}

function fail(reason: string): TcpAddressResult {
  return { ok: false, reason };
}
