import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installIntoBlankProject, packPackage, repoRoot, run } from '../../scripts/pack-package.js';
import { installRuntime, runtimeById } from '../../scripts/runtimes/install-runtime.js';

/*
 * The package as users get it (scripts/pack-package.ts): packed, installed
 * into a blank project, then type-checked and run there through its public
 * entry points only. Catches a broken `exports` map, missing declaration
 * files, a runtime dependency left in devDependencies, or a file left out of
 * `files`. Once on this process's Node (type-checked), once on Node 24
 * (from the runtime cache, scripts/runtimes) — both with npm's default
 * install, which must print no warning, leave no type package the
 * application did not ask for (a `@types/node` of the newest Node, pulled
 * in by a `@types/*` dependency, would shadow the application's own), and
 * compile nothing: the SDK carries cbor-x inside (scripts/bundle-cbor.ts),
 * so neither cbor-x nor its native addon is installed. On Node 24 the
 * SQLite store runs on Node's own SQLite.
 */
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

const consumerTs = `
import { ThinClient, loadConfig, type ThinClientConfig } from 'katzenpost-rx';
import { startSimulator } from 'katzenpost-rx/sim';
import { createVirtualDaemon } from 'katzenpost-rx/testing';
import { writeFileSync } from 'node:fs';
import { firstValueFrom } from 'rxjs';

// real-time: a consumer's program; local requests only, answers asserted
const sim = await startSimulator({ seed: 'pack-spec', timeScale: 0.001, autoAdvanceEpochs: false });
writeFileSync('thinclient.toml', sim.thinClientToml());
const config: ThinClientConfig = await loadConfig('thinclient.toml');
const client = await ThinClient.connect(config);
try {
  const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(7)));
  const next: Uint8Array = await firstValueFrom(client.nextMessageBoxIndex(keys.firstMessageIndex));
  console.log(JSON.stringify({ writeCap: keys.writeCap.length, next: next.length, virtual: typeof createVirtualDaemon }));
} finally {
  await client.close();
  await sim.close();
}
`;

/** A durable channel on the SQLite store, closed and opened again; and whether cbor-x's native addon got loaded. */
const sqliteConsumerJs = `
import { ChannelManager, SqliteChannelStore, ThinClient } from 'katzenpost-rx';
import { startSimulator } from 'katzenpost-rx/sim';
import { createRequire } from 'node:module';
import { firstValueFrom } from 'rxjs';

// real-time: a consumer's program; a channel send on the simulator, only results asserted
const sim = await startSimulator({ seed: 'pack-spec-sqlite', timeScale: 0.001, autoAdvanceEpochs: false });
const client = await ThinClient.connect(sim.config);
try {
  let store = await SqliteChannelStore.open('channels.db');
  const backend = store.backend;
  const channel = await new ChannelManager(client, store).createChannel('c');
  await firstValueFrom(channel.send(new TextEncoder().encode('hello')));
  await store.close();
  store = await SqliteChannelStore.open('channels.db');
  const info = await (await new ChannelManager(client, store).get('c')).info();
  await store.close();
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('cbor-extract'));
  console.log(JSON.stringify({ node: process.versions.node.split('.')[0], backend, writePosition: info.writePosition, nativeCbor: loaded }));
} finally {
  await client.close();
  await sim.close();
}
`;

/** Installed packages: node_modules/<name>, one level of scopes. */
function installedPackages(nodeModules: string): string[] {
  return readdirSync(nodeModules).flatMap((name) =>
    name.startsWith('@') ? readdirSync(join(nodeModules, name)).map((inner) => `${name}/${inner}`) : name.startsWith('.') ? [] : [name],
  );
}

/** Installed packages that run an install script (`prepare` included: npm 11 lists it) or carry a binding.gyp. */
function packagesWithInstallScripts(nodeModules: string): string[] {
  return installedPackages(nodeModules).filter((name) => {
    const manifest = JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    const scripts = manifest.scripts ?? {};
    return ['preinstall', 'install', 'postinstall', 'prepare'].some((s) => s in scripts) || manifest.gypfile === true || existsSync(join(nodeModules, name, 'binding.gyp'));
  });
}

/** What a default install must not bring: type packages nobody asked for, cbor-x (carried inside) and its native addon. */
function unwanted(nodeModules: string): string[] {
  return installedPackages(nodeModules).filter((name) => name.startsWith('@types/') || name === 'cbor-x' || name.includes('cbor-extract'));
}

describe('the packed package', () => {
  let work: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kprx-pack-'));
    tarball = packPackage(work);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs into a blank project without a warning or a stray type package, type-checks and runs through its public entry points', () => {
    const app = join(work, 'app');
    const printed = installIntoBlankProject(app, tarball);
    expect(printed).not.toMatch(/npm warn/i);
    const nodeModules = join(app, 'node_modules');
    expect({ unwanted: unwanted(nodeModules), installScripts: packagesWithInstallScripts(nodeModules) }).toEqual({ unwanted: [], installScripts: [] });
    // The check above can fail: the repository's own install has both kinds.
    expect(unwanted(join(repoRoot, 'node_modules'))).toEqual(expect.arrayContaining(['@types/node', 'cbor-x']));
    // cbor-x inside: a module that imports nothing, under cbor-x's licence.
    const cbor = readFileSync(join(nodeModules, 'katzenpost-rx', 'dist', 'wire', 'cbor-library.js'), 'utf8');
    expect(cbor).toMatch(/^\/\*!\n \* cbor-x \d+\.\d+\.\d+[^]*MIT License[^]*Copyright \(c\) 2020 Kris Zyp/);
    expect(cbor).not.toMatch(/^import |\bfrom ["']|\brequire\(/m);
    writeFileSync(join(app, 'consumer.mts'), consumerTs);
    const types = ['--types', 'node', '--typeRoots', join(repoRoot, 'node_modules', '@types')];
    run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', ...types, 'consumer.mts'], { cwd: app });
    run(process.execPath, [tsc, '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', ...types, 'consumer.mts'], { cwd: app });
    const output = run(process.execPath, ['consumer.mjs'], { cwd: app });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ writeCap: 168, next: 104, virtual: 'function' });
  }, 300_000);

  it('on Node 24, installs with npm defaults, compiles nothing of its own and keeps channels in Node\'s built-in SQLite', () => {
    const node24 = installRuntime(runtimeById('node24'));
    const app = join(work, 'app24');
    const printed = installIntoBlankProject(app, tarball, { node: node24.executable });
    expect(printed).not.toMatch(/npm warn/i);
    const nodeModules = join(app, 'node_modules');
    // better-sqlite3 is an optional peer dependency: not installed, not compiled.
    expect(existsSync(join(nodeModules, 'better-sqlite3'))).toBe(false);
    // No install script anywhere in the tree: nothing compiles (cbor-x, and with it cbor-extract, is inside the SDK).
    expect({ unwanted: unwanted(nodeModules), installScripts: packagesWithInstallScripts(nodeModules) }).toEqual({ unwanted: [], installScripts: [] });
    writeFileSync(join(app, 'consumer.mjs'), sqliteConsumerJs);
    const output = run(node24.executable, ['consumer.mjs'], { cwd: app });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ node: '24', backend: 'node:sqlite', writePosition: 1, nativeCbor: [] });
  }, 300_000);
});
