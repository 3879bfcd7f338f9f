import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildModuleFiles, findInstalledKatzenpost, goBuildEnv, isExecutable } from '../../testnet/install-katzenpost.js';
import { repoRoot } from '../support/paths.js';

/** A peer ready to run, or why it is not. */
export type PeerInstall =
  | { readonly status: 'ready'; readonly command: string; readonly args: readonly string[]; readonly version: string }
  | { readonly status: 'skipped'; readonly reason: string };

/** Source folder of the peer harnesses (the compiled benchmark runs from .cache/bench/build). */
const peersSource = path.join(repoRoot(), 'bench', 'peers');

/** The Python thin client, by name from PyPI. */
export const PYTHON_PACKAGE = 'katzenpost_thinclient';
/** The Go thin client package, at the katzenpost release the conformance suite targets. */
export const GO_PACKAGE = 'github.com/katzenpost/katzenpost/client/thin';

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (error) => resolve({ code: null, output: output + String(error) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const tail = (text: string, lines = 4): string => text.trim().split('\n').slice(-lines).join(' | ');

/**
 * A venv under `cacheDir` with `katzenpost_thinclient` installed by name
 * from PyPI (`pip install`), reused on later runs. Skipped, with the reason,
 * when Python or the package cannot be had (no network, no venv module…).
 *
 * @example
 * const python = await installPythonPeer('.cache/bench-peers');
 * if (python.status === 'ready') PeerProcess.spawn('python', python.command, [...python.args, toml]);
 */
export async function installPythonPeer(cacheDir: string, log: (line: string) => void): Promise<PeerInstall> {
  const venv = path.join(cacheDir, 'python-venv');
  const python = path.join(venv, 'bin', 'python');
  if (!(await isExecutable(python))) {
    log(`creating a Python venv in ${venv}`);
    const made = await run('python3', ['-m', 'venv', venv]);
    if (made.code !== 0) return { status: 'skipped', reason: `no Python venv (python3 -m venv: ${tail(made.output, 2) || 'python3 not found'})` };
  }
  const probe = `import importlib.metadata as m; print(m.version('${PYTHON_PACKAGE}'))`;
  let version = await run(python, ['-c', probe]);
  if (version.code !== 0) {
    log(`pip install ${PYTHON_PACKAGE} (from PyPI)`);
    const installed = await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', PYTHON_PACKAGE]);
    if (installed.code !== 0) return { status: 'skipped', reason: `pip install ${PYTHON_PACKAGE} failed: ${tail(installed.output)}` };
    version = await run(python, ['-c', probe]);
    if (version.code !== 0) return { status: 'skipped', reason: `${PYTHON_PACKAGE} installed but not importable: ${tail(version.output)}` };
  }
  return {
    status: 'ready',
    command: python,
    args: [path.join(peersSource, 'python', 'kprx_peer.py')],
    version: `${PYTHON_PACKAGE} ${version.output.trim()}`,
  };
}

/**
 * Builds the Go peer (bench/peers/go/main.go) against the Go thin client
 * module in a throwaway module under `cacheDir`. The module reuses the
 * Katzenpost build recipe (testnet/install-katzenpost.ts, `buildModuleFiles()`:
 * the same `require github.com/katzenpost/katzenpost v0.0.99`, the same
 * `replace` of the pinned hpqc pseudo-version, the same falcon/sqisign
 * stubs), because the thin client imports the same hpqc packages and the
 * proxy refuses the same modules. Only the module name differs. The binary
 * is rebuilt when the recipe, main.go or the Go version changes.
 *
 * @example
 * const go = await installGoPeer('.cache/bench-peers', console.error);
 */
export async function installGoPeer(cacheDir: string, log: (line: string) => void): Promise<PeerInstall> {
  const goVersion = await run('go', ['env', 'GOVERSION']);
  if (goVersion.code !== 0) return { status: 'skipped', reason: 'no Go toolchain (`go` could not be run)' };
  const buildDir = path.join(cacheDir, 'go-build');
  const binary = path.join(cacheDir, 'go-bin', 'kprx-go-peer');
  const stampFile = `${binary}.stamp`;
  const mainGo = await readFile(path.join(peersSource, 'go', 'main.go'), 'utf8');
  const files: Record<string, string> = { ...buildModuleFiles(), 'main.go': mainGo };
  const goMod = files['go.mod'];
  if (!goMod?.startsWith('module ')) return { status: 'skipped', reason: 'unexpected build recipe (go.mod) from testnet/install-katzenpost.ts' };
  files['go.mod'] = goMod.replace(/^module \S+/, 'module kprx-bench-go-peer');
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  hash.update(goVersion.output.trim());
  const stamp = hash.digest('hex');
  const version = `${GO_PACKAGE} (katzenpost v0.0.99), ${goVersion.output.trim()}`;
  if ((await isExecutable(binary)) && (await readFile(stampFile, 'utf8').catch(() => '')) === stamp) {
    return { status: 'ready', command: binary, args: [], version };
  }
  log(`building the Go peer against ${GO_PACKAGE} in ${buildDir} (first build takes a minute)`);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(buildDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  // The Katzenpost build's go.sum (same requirements) saves resolving every module again.
  const katzenpost = await findInstalledKatzenpost();
  if (katzenpost) await copyFile(path.join(katzenpost.buildDir, 'go.sum'), path.join(buildDir, 'go.sum')).catch(() => undefined);
  await mkdir(path.dirname(binary), { recursive: true });
  const built = await run('go', ['build', '-o', binary, '.'], { cwd: buildDir, env: goBuildEnv() });
  if (built.code !== 0) return { status: 'skipped', reason: `go build failed: ${tail(built.output)}` };
  await writeFile(stampFile, stamp);
  return { status: 'ready', command: binary, args: [], version };
}

/** The Rust thin client's crate on crates.io, whose `cli` feature builds upstream's `pigeonhole-cp`. */
export const RUST_CRATE = 'katzenpost_thin_client';
/** The version installed (the crates.io release beside PyPI's katzenpost_thinclient 0.0.25). */
export const RUST_CRATE_VERSION = '0.0.25';

/**
 * Upstream's Rust `pigeonhole-cp` (R3), installed by name from crates.io
 * with `cargo install katzenpost_thin_client --features cli` into
 * `cacheDir/rust` (a few minutes the first time), reused on later runs.
 * Skipped, with the reason, without cargo or when the install fails.
 *
 * @example
 * const rust = await installRustPigeonholeCp('.cache/bench-peers', console.error);
 */
export async function installRustPigeonholeCp(cacheDir: string, log: (line: string) => void): Promise<PeerInstall> {
  const root = path.join(cacheDir, 'rust');
  const binary = path.join(root, 'bin', 'pigeonhole-cp');
  const version = `${RUST_CRATE} ${RUST_CRATE_VERSION} (crates.io, feature cli)`;
  const stampFile = `${binary}.version`;
  if ((await isExecutable(binary)) && (await readFile(stampFile, 'utf8').catch(() => '')) === RUST_CRATE_VERSION) {
    return { status: 'ready', command: binary, args: [], version };
  }
  const cargo = await run('cargo', ['--version']);
  if (cargo.code !== 0) return { status: 'skipped', reason: 'no Rust toolchain (`cargo` could not be run)' };
  log(`cargo install ${RUST_CRATE}@${RUST_CRATE_VERSION} --features cli into ${root} (first time: a few minutes)`);
  const installed = await run('cargo', ['install', RUST_CRATE, '--version', RUST_CRATE_VERSION, '--features', 'cli', '--locked', '--root', root]);
  if (installed.code !== 0 || !(await isExecutable(binary))) return { status: 'skipped', reason: `cargo install ${RUST_CRATE} failed: ${tail(installed.output)}` };
  await writeFile(stampFile, RUST_CRATE_VERSION);
  return { status: 'ready', command: binary, args: [], version };
}
