/**
 * Builds the real kpclientd v0.0.99 (plus genconfig and kpconfig) for the
 * conformance tests, through the Go module proxy, into a gitignored cache.
 *
 * Why not simply `go install …/cmd/kpclientd@v0.0.99`: that module pins
 * hpqc `v0.0.85-0.20260715190213-e598e7ee2843`, and hpqc (every version
 * from v0.0.84 on) needs `github.com/katzenpost/falcon` and
 * `github.com/katzenpost/sqisign/bindings/go`. Where the proxy does not
 * serve those (this happened on the machine this was written on: 403), the
 * install fails. The recipe below builds a throwaway module that requires
 * katzenpost v0.0.99 and
 *   - replaces the pinned hpqc pseudo-version with the tag `v0.0.85`
 *     (tagged 1.5 h after the pinned commit),
 *   - replaces falcon and the sqisign binding with tiny local stubs written
 *     by this file (our code, not upstream's): same package paths and API,
 *     real key/signature sizes, every operation returns "not available in
 *     this build". The daemon never uses Falcon or SQIsign with the
 *     Ed25519/X-Wing configuration genconfig writes.
 * cgo is REQUIRED (CGO_ENABLED=1 and a C compiler): highctidh (the replica
 * NIKE CTIDH1024) and sphincsplus are C code; with CGO_ENABLED=0 the build
 * fails in those packages, stubs or not.
 *
 * Each accepted build is stamped with a hash of the recipe and the Go
 * version; a later call with the same recipe reuses the binaries.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The upstream release the conformance tests target. */
export const KATZENPOST_VERSION = 'v0.0.99';
/** The hpqc pseudo-version katzenpost v0.0.99 pins in its go.mod. */
export const HPQC_PINNED = 'v0.0.85-0.20260715190213-e598e7ee2843';
/** The tagged hpqc used instead of the pinned pseudo-version. */
export const HPQC_REPLACEMENT = 'v0.0.85';

/** Packages installed into the bin directory (one binary each). */
export const DAEMON_COMMANDS = ['kpclientd', 'genconfig', 'kpconfig'] as const;

/** Paths of the installed binaries. */
export interface DaemonBinaries {
  readonly binDir: string;
  readonly kpclientd: string;
  readonly genconfig: string;
  readonly kpconfig: string;
}

/** Outcome of {@link installDaemon}. */
export type InstallResult =
  | { readonly status: 'ready'; readonly binaries: DaemonBinaries; readonly reused: boolean; readonly recipeHash: string }
  | { readonly status: 'skipped'; readonly reason: string };

/** Options of {@link installDaemon}. */
export interface InstallDaemonOptions {
  /** Cache root; default `<repo>/.cache/kpclientd` or `$KPCLIENTD_CACHE_DIR`. */
  readonly cacheDir?: string;
  /** The `go` command; default `go`. */
  readonly go?: string;
  /** Progress sink; default: prefixed lines on stderr. */
  readonly log?: (line: string) => void;
  /** Seconds between "still building" lines while go is silent; default 20. */
  readonly heartbeatSeconds?: number;
}

const STUB_HEADER = '// Build stub written by the katzenpost-rx conformance harness (not upstream code).\n';

function falconStub(variant: 512 | 1024): string {
  // Sizes are the Falcon-padded parameter sizes; hpqc checks SignatureSize at init.
  const sizes = variant === 512 ? { pk: 897, sk: 1281, sig: 666 } : { pk: 1793, sk: 2305, sig: 1280 };
  return `${STUB_HEADER}// Package padded${variant}: Falcon-padded-${variant} is not available in this build.
package padded${variant}

import "errors"

const (
\tPublicKeySize  = ${sizes.pk}
\tPrivateKeySize = ${sizes.sk}
\tSignatureSize  = ${sizes.sig}
)

var errUnavailable = errors.New("falcon-padded-${variant}: not available in this build")

type PublicKey [PublicKeySize]byte

type PrivateKey [PrivateKeySize]byte

func GenerateKey() (PublicKey, PrivateKey, error) { return PublicKey{}, PrivateKey{}, errUnavailable }

func Sign(sk *PrivateKey, message []byte) ([]byte, error) { return nil, errUnavailable }

func Verify(pk *PublicKey, message, sig []byte) bool { return false }
`;
}

const SQISIGN_STUB = `${STUB_HEADER}// Package sqisign: SQIsign is not available in this build.
package sqisign

import (
\t"errors"
\t"io"
)

const (
\tPublicKeyBytes = 65
\tSecretKeyBytes = 353
\tSignatureBytes = 148
)

var ErrUnsupported = errors.New("sqisign: not available in this build")

func KeyGen(_ io.Reader) ([]byte, []byte, error) { return nil, nil, ErrUnsupported }

func Sign(_ io.Reader, _, _ []byte) ([]byte, error) { return nil, ErrUnsupported }

func Verify(_, _, _ []byte) (bool, error) { return false, ErrUnsupported }
`;

/**
 * Every file of the throwaway build module, keyed by relative path. Exported
 * so the recipe can be inspected (and so a test can pin it).
 *
 * @example
 * const files = buildModuleFiles();
 * files['go.mod']; // 'module kpclientd-build\n…'
 */
export function buildModuleFiles(): Readonly<Record<string, string>> {
  return {
    'go.mod': [
      'module kpclientd-build',
      '',
      'go 1.26.2',
      '',
      `require github.com/katzenpost/katzenpost ${KATZENPOST_VERSION}`,
      '',
      `replace github.com/katzenpost/hpqc ${HPQC_PINNED} => github.com/katzenpost/hpqc ${HPQC_REPLACEMENT}`,
      '',
      'replace github.com/katzenpost/falcon => ./stubs/falcon',
      '',
      'replace github.com/katzenpost/sqisign/bindings/go => ./stubs/sqisign',
      '',
    ].join('\n'),
    'stubs/falcon/go.mod': 'module github.com/katzenpost/falcon\n\ngo 1.21\n',
    'stubs/falcon/padded512/stub.go': falconStub(512),
    'stubs/falcon/padded1024/stub.go': falconStub(1024),
    'stubs/sqisign/go.mod': 'module github.com/katzenpost/sqisign/bindings/go\n\ngo 1.21\n',
    'stubs/sqisign/sqisign/stub.go': SQISIGN_STUB,
  };
}

/** Environment of the `go install` run (cgo on: see the file comment). */
function buildEnv(binDir: string): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '1', GOBIN: binDir, GOWORK: 'off' };
}

/**
 * Hash identifying a build: module files, command list, cgo setting and Go version.
 *
 * @example
 * recipeHash('go1.26.8 linux/amd64'); // 'e3b0c442…'
 */
export function recipeHash(goVersion: string): string {
  const h = createHash('sha256');
  const files = buildModuleFiles();
  for (const name of Object.keys(files).sort()) h.update(`${name}\0${files[name]}\0`);
  h.update(`cmds\0${DAEMON_COMMANDS.join(',')}\0cgo=1\0${goVersion}`);
  return h.digest('hex');
}

/** Default cache root: `$KPCLIENTD_CACHE_DIR` or `<repo>/.cache/kpclientd`. */
export function defaultCacheDir(): string {
  const fromEnv = process.env['KPCLIENTD_CACHE_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  // This file lives at <repo>/spec/conformance/harness/.
  return path.resolve(fileURLToPath(import.meta.url), '../../../../.cache/kpclientd');
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; `onLine` sees stderr lines as they come. ENOENT → code null. */
function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let pending = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!opts.onLine) return;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) opts.onLine(line);
    });
    child.on('error', () => resolve({ code: null, stdout, stderr }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether `file` exists and may be executed (also used by bench/ for the peers and the daemon). */
export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binariesIn(binDir: string): DaemonBinaries {
  return {
    binDir,
    kpclientd: path.join(binDir, 'kpclientd'),
    genconfig: path.join(binDir, 'genconfig'),
    kpconfig: path.join(binDir, 'kpconfig'),
  };
}

async function stampMatches(stampFile: string, hash: string, bins: DaemonBinaries): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(stampFile, 'utf8')) as { recipeHash?: unknown };
    if (stamp.recipeHash !== hash) return false;
  } catch {
    return false;
  }
  for (const cmd of DAEMON_COMMANDS) if (!(await isExecutable(bins[cmd]))) return false;
  return true;
}

/** A directory lock so two jest workers do not build into the same place at once. */
async function withLock<T>(lockDir: string, log: (line: string) => void, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => 'NaN'));
      let alive = false;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      // A lock without a live owner is stale (a killed build); a lock younger
      // than 5 s may not have its pid file yet.
      if (!alive && Date.now() - started > 5000) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another build (lock ${lockDir})`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * Makes kpclientd, genconfig and kpconfig available, building them if needed.
 * Resolves `skipped` (never throws) when Go or a C compiler is missing;
 * rejects when Go is present but the build fails (with the tail of go's output).
 *
 * @example
 * const result = await installDaemon();
 * if (result.status === 'skipped') console.warn(result.reason);
 * else console.log(result.binaries.kpclientd);
 */
export async function installDaemon(options: InstallDaemonOptions = {}): Promise<InstallResult> {
  const go = options.go ?? 'go';
  const log = options.log ?? ((line: string) => process.stderr.write(`[kpclientd-install] ${line}\n`));
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const buildDir = path.join(cacheDir, 'build');
  const bins = binariesIn(path.join(cacheDir, 'bin'));
  const stampFile = path.join(bins.binDir, '.recipe-stamp.json');

  const version = await run(go, ['env', 'GOVERSION', 'GOOS', 'GOARCH', 'CC']);
  if (version.code !== 0) {
    return { status: 'skipped', reason: `skipped: Go toolchain not available ('${go}' could not be run)` };
  }
  const [goVersion = '', goos = '', goarch = '', cc = ''] = version.stdout.trim().split('\n');
  const ccName = cc.trim().split(/\s+/)[0] || 'gcc';
  const ccCheck = await run(ccName, ['--version']);
  if (ccCheck.code !== 0) {
    return { status: 'skipped', reason: `skipped: no C compiler ('${ccName}'); kpclientd needs cgo (highctidh, sphincsplus)` };
  }
  const hash = recipeHash(`${goVersion} ${goos}/${goarch}`);
  if (await stampMatches(stampFile, hash, bins)) {
    return { status: 'ready', binaries: bins, reused: true, recipeHash: hash };
  }

  await mkdir(cacheDir, { recursive: true });
  return withLock(path.join(cacheDir, '.build-lock'), log, async () => {
    // Another worker may have finished the build while we waited.
    if (await stampMatches(stampFile, hash, bins)) {
      return { status: 'ready', binaries: bins, reused: true, recipeHash: hash } as const;
    }
    await rm(buildDir, { recursive: true, force: true });
    const files = buildModuleFiles();
    for (const [rel, text] of Object.entries(files)) {
      const file = path.join(buildDir, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
    await mkdir(bins.binDir, { recursive: true });
    const pkgs = DAEMON_COMMANDS.map((c) => `github.com/katzenpost/katzenpost/cmd/${c}`);
    log(`building katzenpost ${KATZENPOST_VERSION} (${DAEMON_COMMANDS.join(', ')}) with ${goVersion}, cgo on;`);
    log(`hpqc ${HPQC_PINNED} => ${HPQC_REPLACEMENT}; falcon, sqisign => local stubs; first build takes minutes`);
    const started = Date.now();
    const heartbeat = setInterval(
      () => log(`still building (${Math.round((Date.now() - started) / 1000)} s)`),
      (options.heartbeatSeconds ?? 20) * 1000,
    );
    let result: RunResult;
    try {
      result = await run(go, ['install', ...pkgs], { cwd: buildDir, env: buildEnv(bins.binDir), onLine: (l) => log(`go: ${l}`) });
    } finally {
      clearInterval(heartbeat);
    }
    if (result.code !== 0) {
      const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
      throw new Error(`go install failed (exit ${String(result.code)}) in ${buildDir}:\n${tail}`);
    }
    const stamp = { recipeHash: hash, goVersion, platform: `${goos}/${goarch}`, builtAt: new Date().toISOString(), katzenpost: KATZENPOST_VERSION, hpqc: `${HPQC_PINNED} => ${HPQC_REPLACEMENT}` };
    await writeFile(stampFile, JSON.stringify(stamp, null, 2) + '\n');
    log(`built in ${Math.round((Date.now() - started) / 1000)} s into ${bins.binDir}`);
    return { status: 'ready', binaries: bins, reused: false, recipeHash: hash } as const;
  });
}
