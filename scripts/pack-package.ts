/**
 * The package as users get it, for the packed-package spec and the runtime
 * matrix: built into a staging directory (not the repository's dist/, which
 * other specs run from), packed with `npm pack`, and installed into a blank
 * project.
 *
 * @example
 * const tarball = packPackage(work);
 * installIntoBlankProject(join(work, 'app'), tarball, { npmArgs: ['--omit=optional', '--ignore-scripts'] });
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command to completion; its stdout, or an error with both outputs. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(result.status ?? result.signal)}):\n${String(result.stdout)}\n${String(result.stderr)}`);
  }
  return String(result.stdout);
}

/** Builds the package into `<work>/stage` and packs it into `work`; the tarball's path. */
export function packPackage(work: string): string {
  const stage = join(work, 'stage');
  for (const file of ['package.json', 'README.md', 'LICENSE']) cpSync(join(repoRoot, file), join(stage, file));
  run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], { cwd: repoRoot });
  run(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/build-browser.ts', '--dist', join(stage, 'dist')], { cwd: repoRoot });
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: stage });
  return join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
}

/** Options of {@link installIntoBlankProject}. */
export interface BlankProjectOptions {
  /** Extra `npm install` arguments. */
  readonly npmArgs?: readonly string[];
  /** The Node binary that runs npm (and so the install scripts); default: this process's. */
  readonly node?: string;
}

/** An empty ESM project at `app` with the tarball installed from it (npm's defaults otherwise); npm's output. */
export function installIntoBlankProject(app: string, tarball: string, options: BlankProjectOptions = {}): string {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'blank-app', private: true, type: 'module' }));
  const args = ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', ...(options.npmArgs ?? [])];
  if (options.node === undefined) return run('npm', args, { cwd: app });
  // npm's own CLI on the chosen Node, with that Node first on the PATH for the scripts it runs.
  const npmCli = join(run('npm', ['root', '--global']).trim(), 'npm', 'bin', 'npm-cli.js');
  const path = `${dirname(options.node)}:${process.env['PATH'] ?? ''}`;
  return run(options.node, [npmCli, ...args], { cwd: app, env: { ...process.env, PATH: path } });
}
