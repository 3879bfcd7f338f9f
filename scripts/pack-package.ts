/**
 * The package as users get it, for releases, the packed-package spec and
 * the runtime matrix: built into a staging directory (not the repository's
 * dist/, which other specs run from), packed with `npm pack`, and installed
 * into a blank project.
 *
 * The staged package.json has no `scripts` and no `devDependencies`: they
 * are the repository's (`prepare` builds dist/ after `npm ci` in a clone),
 * and npm 11 lists a dependency's `prepare` among the install scripts an
 * application has to review ("1 package has install scripts not yet
 * covered by allowScripts: katzenpost-rx (prepare: npm run build)").
 *
 *   npm run package [-- --out DIR]   # prints the tarball's path; release it with `npm publish <tarball>`
 *
 * @example
 * const tarball = packPackage(work);
 * installIntoBlankProject(join(work, 'app'), tarball, { npmArgs: ['--omit=optional', '--ignore-scripts'] });
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command to completion; its stdout, or an error with both outputs. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  return runWithOutput(command, args, options).stdout;
}

/** Runs a command to completion; both its outputs, or an error with them. */
function runWithOutput(command: string, args: readonly string[], options: SpawnSyncOptions): { readonly stdout: string; readonly stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(result.status ?? result.signal)}):\n${String(result.stdout)}\n${String(result.stderr)}`);
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Builds the package into `<work>/stage` and packs it into `work`; the tarball's path. */
export function packPackage(work: string): string {
  const stage = join(work, 'stage');
  for (const file of ['README.md', 'LICENSE']) cpSync(join(repoRoot, file), join(stage, file));
  const { scripts: _scripts, devDependencies: _devDependencies, ...manifest } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], { cwd: repoRoot });
  run(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/build.ts', '--dist', join(stage, 'dist')], { cwd: repoRoot });
  const name = run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: stage }).trim().split('\n').pop()!;
  return join(work, name);
}

/** Options of {@link installIntoBlankProject}. */
export interface BlankProjectOptions {
  /** Extra `npm install` arguments. */
  readonly npmArgs?: readonly string[];
  /** The Node binary that runs npm (and so the install scripts); default: this process's. */
  readonly node?: string;
}

/** An empty ESM project at `app` with the tarball installed from it (npm's defaults otherwise); what npm printed (its warnings included). */
export function installIntoBlankProject(app: string, tarball: string, options: BlankProjectOptions = {}): string {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'blank-app', private: true, type: 'module' }));
  const args = ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', ...(options.npmArgs ?? [])];
  const printed = ({ stdout, stderr }: { readonly stdout: string; readonly stderr: string }): string => `${stdout}${stderr}`;
  if (options.node === undefined) return printed(runWithOutput('npm', args, { cwd: app }));
  // npm's own CLI on the chosen Node, with that Node first on the PATH for the scripts it runs.
  const npmCli = join(run('npm', ['root', '--global']).trim(), 'npm', 'bin', 'npm-cli.js');
  const path = `${dirname(options.node)}:${process.env['PATH'] ?? ''}`;
  return printed(runWithOutput(options.node, [npmCli, ...args], { cwd: app, env: { ...process.env, PATH: path } }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const outAt = process.argv.indexOf('--out');
  const out = outAt >= 0 ? resolve(process.argv[outAt + 1]!) : mkdtempSync(join(tmpdir(), 'katzenpost-rx-package-'));
  mkdirSync(out, { recursive: true });
  console.log(packPackage(out));
}
