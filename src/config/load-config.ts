import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/local-errors.js';
import type { ThinClientConfig } from './dial-config.js';
import { parseConfig } from './parse-config.js';

/**
 * Reads and strictly validates a `thinclient.toml` (PROTOCOL.md §1.3; rules
 * in {@link parseConfig}). Node only — the one place in config/ that
 * touches the filesystem, so browser bundles can use `parseConfig` and
 * `validateConfig` without pulling in `node:fs`.
 *
 * Rejects with a {@link ConfigError} naming the file (and the key or line)
 * when the file cannot be read, is not UTF-8, is not TOML, or is not a
 * valid thin-client config.
 *
 * @example
 * const config = await loadConfig('/etc/katzenpost/thinclient.toml');
 * const client = ThinClient.connect(config);
 */
export async function loadConfig(path: string): Promise<ThinClientConfig> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError(`cannot read the file${typeof code === 'string' ? ` (${code})` : ''}`, {
      file: path,
      cause: error,
    });
  }
  let text: string;
  try {
    // TOML documents must be UTF-8; a lenient decode would turn bad bytes
    // into U+FFFD inside an address and fail later with a confusing message.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ConfigError('the file is not valid UTF-8', { file: path, cause: error });
  }
  return parseConfig(text, path);
}
