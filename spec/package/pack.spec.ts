import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/*
 * The package as users get it: built into a staging directory (not the
 * repository's dist/, which other specs run from), packed with `npm pack`,
 * installed into a blank project, then type-checked and run there through
 * its public entry points only. Catches a broken `exports` map, missing
 * declaration files, a runtime dependency left in devDependencies, or a
 * file left out of `files`.
 */
const repo = resolve('.');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

function run(command: string, args: readonly string[], options: SpawnSyncOptions): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(result.status ?? result.signal)}):\n${String(result.stdout)}\n${String(result.stderr)}`);
  }
  return String(result.stdout);
}

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

describe('the packed package', () => {
  it('installs into a blank project, type-checks and runs through its public entry points', () => {
    const work = mkdtempSync(join(tmpdir(), 'kprx-pack-'));
    try {
      const stage = join(work, 'stage');
      for (const file of ['package.json', 'README.md', 'LICENSE']) cpSync(join(repo, file), join(stage, file));
      run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], { cwd: repo });
      run(process.execPath, [join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/build-browser.ts', '--dist', join(stage, 'dist')], { cwd: repo });
      run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: stage });
      const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);

      const app = join(work, 'app');
      cpSync(join(repo, 'LICENSE'), join(app, 'LICENSE')); // creates the directory
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'blank-app', private: true, type: 'module' }));
      // No optional or install scripts: better-sqlite3 would compile from source.
      run('npm', ['install', tarball, '--omit=optional', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });

      writeFileSync(join(app, 'consumer.mts'), consumerTs);
      run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types'), 'consumer.mts'], { cwd: app });
      run(process.execPath, [tsc, '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck',
        '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types'), 'consumer.mts'], { cwd: app });
      const output = run(process.execPath, ['consumer.mjs'], { cwd: app });
      expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ writeCap: 168, next: 104, virtual: 'function' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
