/**
 * The browser build (item 1 of issue 7): the `browser` export condition's
 * bundle and an application page bundled on it for `platform: 'browser'`
 * reach no Node built-in; the check that says so does fail on the Node
 * entry; the browser entry exports everything the Node entry does but the
 * Node-only parts; its socket factory dials WebSocket only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { firstValueFrom } from 'rxjs';
import ts from 'typescript';
import { ThinClient } from 'katzenpost-rx';
import { ConfigError } from '../../src/errors/local-errors.js';
import { connectByteStream } from '../../src/transport/connect-byte-stream-browser.js';
import { assertNoNodeBuiltins, buildBrowserEntry, buildExamplePage, noNodeBuiltins, repoRoot } from '../../scripts/browser-bundle.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

/** The Node entry's exports that the browser entry must not have. */
const NODE_ONLY = ['FileChannelStore', 'SqliteChannelStore', 'SqliteBackend', 'connectTcp', 'connectUnix', 'loadConfig', 'writeFileAtomic'];

/** Every export name (values and types) of a module, via the TypeScript checker. */
function exportNames(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error(`no module symbol for ${file}`);
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.name)
    .sort();
}

describe('the browser build', () => {
  it('bundles src/browser.ts without any Node-only source, with cbor-x inside, leaving only the package dependencies as imports', async () => {
    const { code, metafile } = await buildBrowserEntry();
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('src/transport/connect-byte-stream-browser.ts');
    expect(inputs).toContain('src/client/thin-client.ts');
    for (const nodeOnly of ['config/load-config.ts', 'transport/connect-byte-stream.ts', 'transport/dial-node-socket.ts', 'transport/tcp-transport.ts']) {
      expect(inputs).not.toContain(`src/${nodeOnly}`);
    }
    // cbor-x is no dependency of the package: it is carried inside (scripts/bundle-cbor.ts), with its licence.
    expect(inputs.some((input) => input.includes('node_modules/cbor-x/'))).toBe(true);
    expect(code).toMatch(/^\/\*!\n \* cbor-x [^]*MIT License/);
    const imported = new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path.split('/')[0])));
    expect([...imported].sort()).toEqual(['@noble', 'rxjs', 'smol-toml']);
    // ws is replaced by a module that fails the (never taken, in a browser) fallback load.
    expect(code).toContain('the ws package is not part of the browser build');
  });

  it('bundles the example page for platform browser with everything in it (rxjs, cbor-x, …) and no Node built-in', async () => {
    const { code, metafile } = await buildExamplePage();
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/rxjs/'))).toBe(true);
    expect(code).toContain('cbor-x'); // inside the library's bundle, with its licence
    expect(Object.values(metafile.outputs).flatMap((output) => output.imports)).toEqual([]);
    expect(code).toContain('browsers can only reach the daemon over WebSocket');
  });

  it('has a check that fails when a browser build reaches a Node built-in (the Node entry does)', async () => {
    const build = esbuild.build({
      absWorkingDir: repoRoot,
      entryPoints: [join(repoRoot, 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [noNodeBuiltins],
    });
    const failure = (await build.then(
      () => null,
      (error: unknown) => error,
    )) as esbuild.BuildFailure | null;
    expect(failure).not.toBeNull();
    const texts = failure!.errors.map((e) => e.text).sort();
    expect(texts).toEqual(
      expect.arrayContaining([
        'Node built-in "node:fs/promises" reached from src/config/load-config.ts in a browser build',
        'Node built-in "node:net" reached from src/transport/dial-node-socket.ts in a browser build',
      ]),
    );
    // And the metafile check catches what an external-everything build would let through.
    expect(() =>
      assertNoNodeBuiltins({ inputs: {}, outputs: { 'out.js': { imports: [{ path: 'node:net', kind: 'import-statement' }], exports: [], inputs: {}, bytes: 0 } } }),
    ).toThrow('out.js imports the Node built-in node:net');
  });

  it('exports everything the Node entry exports (values and types) except the Node-only parts', () => {
    const index = join(repoRoot, 'src', 'index.ts');
    const browser = join(repoRoot, 'src', 'browser.ts');
    const program = ts.createProgram([index, browser], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    const nodeNames = exportNames(program, index);
    expect(nodeNames).toEqual(expect.arrayContaining([...NODE_ONLY, 'ThinClient', 'connectByteStream', 'ConnectionState']));
    expect(exportNames(program, browser)).toEqual(nodeNames.filter((name) => !NODE_ONLY.includes(name)));
  });

  it('is what package.json gives bundlers under the browser condition, with types under every condition', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['.']).toEqual({
      browser: { types: './dist/browser.d.ts', default: './dist/browser-bundle.js' },
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
    // The browser condition comes first: conditions are matched in object order.
    expect(Object.keys(pkg.exports['.'] as object)[0]).toBe('browser');
  });
});

describe('connectByteStream of the browser build', () => {
  it('refuses TCP and Unix dials with a ConfigError naming the key', async () => {
    const tcp = await firstValueFrom(connectByteStream({ tcp: { address: '127.0.0.1:1' } })).catch((error: unknown) => error);
    expect(tcp).toBeInstanceOf(ConfigError);
    expect(tcp).toMatchObject({ key: 'Dial.Tcp', message: expect.stringContaining('browsers can only reach the daemon over WebSocket') });
    const unix = await firstValueFrom(connectByteStream({ unix: { address: '/tmp/none.sock' } })).catch((error: unknown) => error);
    expect(unix).toMatchObject({ name: 'ConfigError', key: 'Dial.Unix' });
  });

  it('reports a malformed dial as the Node factory does', async () => {
    const error = await firstValueFrom(connectByteStream({ ws: { address: 'http://x' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toMatch(/^Dial\.Ws/i);
  });

  it('carries a ThinClient to the daemon over WebSocket', async () => {
    const sim = await startSpecSimulator({ realTime: 'a bundled client connects and asks locally; only results are asserted', listen: { ws: 'ws://127.0.0.1:0' }, seed: 'browser-factory' });
    try {
      const client = await ThinClient.connect(sim.config, { socketFactory: (dial) => connectByteStream(dial) });
      try {
        expect(client.state).toMatchObject({ daemon: 'connected', mixnet: true });
        const { readCap } = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(7)));
        expect(readCap.byteLength).toBe(136);
      } finally {
        await client.close();
      }
    } finally {
      await sim.close();
    }
  });
});
