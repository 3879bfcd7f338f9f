import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors/local-errors.js';

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'krx-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, content: string | Uint8Array): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  const rejection = async (promise: Promise<unknown>): Promise<ConfigError> => {
    const error: unknown = await promise.then(
      () => {
        throw new Error('expected a ConfigError, the promise resolved');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  };

  it('reads a valid thinclient.toml', async () => {
    const path = await write('ok.toml', '[Dial]\n  [Dial.Unix]\n    Address = "/run/kpclientd.sock"\n');
    await expect(loadConfig(path)).resolves.toEqual({ dial: { unix: { address: '/run/kpclientd.sock' } } });
  });

  it('names the file and the dotted key of an unknown key', async () => {
    const path = await write('typo.toml', '[Dial]\n[Dial.Tcp]\nAdress = "localhost:64331"\n');
    const error = await rejection(loadConfig(path));
    expect(error.file).toBe(path);
    expect(error.key).toBe('Dial.Tcp.Adress');
    expect(error.message).toBe(`${path}: Dial.Tcp.Adress: unknown key (allowed here: Address, Network)`);
  });

  it('names the file and line of a TOML syntax error', async () => {
    const path = await write('syntax.toml', '[Dial]\n[Dial.Tcp]\nAddress = localhost:64331\n');
    const error = await rejection(loadConfig(path));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}: line 3, column \\d+: invalid TOML`));
  });

  it('rejects a missing file with its name and the error code', async () => {
    const path = join(dir, 'absent.toml');
    const error = await rejection(loadConfig(path));
    expect(error.file).toBe(path);
    expect(error.message).toBe(`${path}: cannot read the file (ENOENT)`);
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('rejects a directory', async () => {
    const error = await rejection(loadConfig(dir));
    expect(error.message).toBe(`${dir}: cannot read the file (EISDIR)`);
  });

  it('rejects bytes that are not UTF-8', async () => {
    const text = new TextEncoder().encode('[Dial.Unix]\nAddress = "/run/kp');
    const path = await write('latin1.toml', new Uint8Array([...text, 0xe9, 0x22, 0x0a]));
    const error = await rejection(loadConfig(path));
    expect(error.message).toBe(`${path}: the file is not valid UTF-8`);
  });
});
