/**
 * `npm run demo [-- --config thinclient.toml]`: runs the built demo,
 * dist/cli/demo.js — building first only when there is no complete build
 * or a source is newer than it (a build takes about a minute on 2 cores,
 * the demo itself a second or two).
 *
 * "Complete" is the stamp scripts/build.ts leaves after its last step
 * (`.cache/build-stamp`); "source" is anything the build reads: src/, the
 * build scripts, the tsconfig files and package.json.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_STAMP, repoRoot } from './build-stamp.js';

/** The newest modification time (ms) under `path`, a file or a directory. */
function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

const BUILD_INPUTS = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.ts', 'scripts/build-stamp.ts', 'scripts/bundle-cbor.ts', 'scripts/browser-bundle.ts', 'scripts/cbor-x-licence.ts'];

const builtAt = statSync(join(repoRoot, BUILD_STAMP), { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changedAt = Math.max(...BUILD_INPUTS.map((input) => newestMtime(join(repoRoot, input))));
if (builtAt === 0 || changedAt > builtAt) {
  console.error(builtAt === 0 ? 'demo: no complete build yet, building (npm run build) …' : 'demo: sources changed since the last build, rebuilding (npm run build) …');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const demo = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'demo.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(demo.status ?? 1);
