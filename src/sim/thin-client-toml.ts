import type { ThinClientConfig } from '../config/dial-config.js';

/**
 * The `thinclient.toml` text for a configuration (PROTOCOL.md §1.3): one
 * `[Dial]` table with exactly one transport, only the keys the Go and
 * Python clients accept.
 *
 * @example
 * thinClientToml({ dial: { tcp: { address: '127.0.0.1:64331' } } });
 * // [Dial]\n  [Dial.Tcp]\n    Address = "127.0.0.1:64331"\n
 */
export function thinClientToml(config: ThinClientConfig): string {
  const { dial } = config;
  let table: string;
  let lines: string[];
  if (dial.tcp !== undefined) {
    table = 'Tcp';
    lines = [`Address = ${tomlString(dial.tcp.address)}`];
    if (dial.tcp.network !== undefined) lines.push(`Network = ${tomlString(dial.tcp.network)}`);
  } else if (dial.unix !== undefined) {
    table = 'Unix';
    lines = [`Address = ${tomlString(dial.unix.address)}`];
  } else {
    table = 'Ws';
    lines = [`Address = ${tomlString(dial.ws.address)}`];
  }
  return `[Dial]\n  [Dial.${table}]\n${lines.map((line) => `    ${line}\n`).join('')}`;
}

/** A TOML basic string (JSON's escapes are valid TOML escapes). */
function tomlString(value: string): string {
  return JSON.stringify(value);
}
