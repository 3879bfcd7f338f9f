/**
 * Builds Katzenpost v0.0.99 — every command this project runs: the client
 * daemon (kpclientd, kpconfig) for the conformance suite and the benchmark,
 * and a whole mix network (genconfig, dirauth, server, courier, replica) for
 * the testnet — with ONE recipe into ONE cache outside the work tree.
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
 *     this build". No node uses Falcon or SQIsign with the Ed25519/X-Wing
 *     configuration genconfig writes.
 * cgo is REQUIRED (CGO_ENABLED=1 and a C compiler): highctidh (the replica
 * NIKE CTIDH1024) and sphincsplus are C code; with CGO_ENABLED=0 the build
 * fails in those packages, stubs or not.
 *
 * The link flags are upstream's docker Makefile's: `-trimpath -buildid=`
 * (reproducible) and `epochtime.WarpedEpoch=true` (2-minute epochs instead
 * of 20; the testnet shortens them further with KATZENPOST_EPOCH_DURATION).
 * The daemon behaves identically with or without them outside epoch length.
 *
 * Cache: `$KPCLIENTD_CACHE_DIR` (kept from the first kpclientd-only build,
 * so machines that set it keep sharing one build), else
 * `$XDG_CACHE_HOME/katzenpost-rx/katzenpost` (`~/.cache/…`). Inside it one
 * directory per recipe hash — module files, command list, flags, Go version
 * and platform — so different recipes never overwrite each other; a later
 * call with the same recipe reuses the binaries.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The upstream release this project targets. */
export const KATZENPOST_VERSION = 'v0.0.99';
/** The hpqc pseudo-version katzenpost v0.0.99 pins in its go.mod. */
export const HPQC_PINNED = 'v0.0.85-0.20260715190213-e598e7ee2843';
/** The tagged hpqc used instead of the pinned pseudo-version. */
export const HPQC_REPLACEMENT = 'v0.0.85';

/** Commands installed into the bin directory (one binary each, from `…/katzenpost/cmd/<name>`). */
export const KATZENPOST_COMMANDS = ['genconfig', 'dirauth', 'server', 'courier', 'replica', 'kpclientd', 'kpconfig'] as const;
export type KatzenpostCommand = (typeof KATZENPOST_COMMANDS)[number];

/** The `go install` flags (upstream's docker Makefile's; `-v` only prints progress). */
export const GO_INSTALL_FLAGS: readonly string[] = [
  '-trimpath',
  '-ldflags',
  '-buildid= -X github.com/katzenpost/katzenpost/core/epochtime.WarpedEpoch=true',
];

/** Paths of the installed binaries, one per command, and their directory. */
export type KatzenpostBinaries = { readonly binDir: string } & { readonly [C in KatzenpostCommand]: string };

/** Outcome of {@link installKatzenpost}. */
export type InstallResult =
  | { readonly status: 'ready'; readonly binaries: KatzenpostBinaries; readonly reused: boolean; readonly recipeHash: string; readonly buildDir: string }
  | { readonly status: 'skipped'; readonly reason: string };

/** Options of {@link installKatzenpost}. */
export interface InstallKatzenpostOptions {
  /** Cache root; default {@link defaultCacheRoot}. */
  readonly cacheRoot?: string;
  /** The `go` command; default `go`. */
  readonly go?: string;
  /** Progress sink; default: prefixed lines on stderr. */
  readonly log?: (line: string) => void;
  /** Seconds between "still building" lines while go is silent; default 15. */
  readonly heartbeatSeconds?: number;
  /** Extra environment for `go` (e.g. an empty GOCACHE to measure a cold build). */
  readonly env?: NodeJS.ProcessEnv;
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
 * so the recipe can be inspected (and so a test can pin it); the benchmark's
 * Go peer reuses it.
 *
 * @example
 * const files = buildModuleFiles();
 * files['go.mod']; // 'module katzenpost-rx-build\n…'
 */
export function buildModuleFiles(): Readonly<Record<string, string>> {
  return {
    'go.mod': [
      'module katzenpost-rx-build',
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

/** Environment of `go` runs on the build module (cgo on: see the file comment). */
export function goBuildEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, GOFLAGS: '-mod=mod', CGO_ENABLED: '1', GOWORK: 'off' };
}

/**
 * Hash identifying a build: module files, commands, flags, cgo setting and
 * Go version/platform.
 *
 * @example
 * recipeHash('go1.26.8 linux/amd64'); // 'e3b0c442…'
 */
export function recipeHash(goVersion: string): string {
  const h = createHash('sha256');
  const files = buildModuleFiles();
  for (const name of Object.keys(files).sort()) h.update(`${name}\0${files[name]}\0`);
  h.update(`cmds\0${KATZENPOST_COMMANDS.join(',')}\0flags\0${GO_INSTALL_FLAGS.join('\0')}\0cgo=1\0${goVersion}`);
  return h.digest('hex');
}

/**
 * The cache root: `$KPCLIENTD_CACHE_DIR`, else `$XDG_CACHE_HOME/katzenpost-rx/katzenpost`
 * (`~/.cache/katzenpost-rx/katzenpost`). Outside the work tree, so every
 * clone and worktree on a machine shares one build.
 */
export function defaultCacheRoot(): string {
  const fromEnv = process.env['KPCLIENTD_CACHE_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(userCacheDir(), 'katzenpost-rx', 'katzenpost');
}

/** `$XDG_CACHE_HOME` or `~/.cache`. */
export function userCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
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

function binariesIn(binDir: string): KatzenpostBinaries {
  const entries = KATZENPOST_COMMANDS.map((c) => [c, path.join(binDir, c)] as const);
  return { binDir, ...Object.fromEntries(entries) } as KatzenpostBinaries;
}

async function stampMatches(stampFile: string, hash: string, bins: KatzenpostBinaries): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(stampFile, 'utf8')) as { recipeHash?: unknown };
    if (stamp.recipeHash !== hash) return false;
  } catch {
    return false;
  }
  for (const cmd of KATZENPOST_COMMANDS) if (!(await isExecutable(bins[cmd]))) return false;
  return true;
}

/** A directory lock so two processes (jest workers, worktrees) do not build into the same place at once. */
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

/** A Go import path as `go install -v` prints it for each package it compiles. */
const PACKAGE_LINE = /^[\w.~-]+(\/[\w.~+-]+)+$|^[\w-]+$/;

/** What the build cache holds for this Go toolchain and machine, without building. */
async function locate(go: string, cacheRoot: string): Promise<
  | { readonly ok: true; readonly hash: string; readonly goVersion: string; readonly platform: string; readonly dir: string; readonly bins: KatzenpostBinaries; readonly stampFile: string }
  | { readonly ok: false; readonly reason: string }
> {
  const version = await run(go, ['env', 'GOVERSION', 'GOOS', 'GOARCH', 'CC']);
  if (version.code !== 0) {
    return { ok: false, reason: `skipped: Go toolchain not available ('${go}' could not be run)` };
  }
  const [goVersion = '', goos = '', goarch = '', cc = ''] = version.stdout.trim().split('\n');
  const ccName = cc.trim().split(/\s+/)[0] || 'gcc';
  const ccCheck = await run(ccName, ['--version']);
  if (ccCheck.code !== 0) {
    return { ok: false, reason: `skipped: no C compiler ('${ccName}'); Katzenpost needs cgo (highctidh, sphincsplus)` };
  }
  const platform = `${goos}/${goarch}`;
  const hash = recipeHash(`${goVersion} ${platform}`);
  const dir = path.join(cacheRoot, `${KATZENPOST_VERSION}-${hash.slice(0, 12)}`);
  const bins = binariesIn(path.join(dir, 'bin'));
  return { ok: true, hash, goVersion, platform, dir, bins, stampFile: path.join(bins.binDir, '.recipe-stamp.json') };
}

/**
 * The binaries and build directory if this recipe is already built (never
 * builds): for callers that must not spend minutes compiling, like the
 * benchmark's offline daemon and its Go peer.
 *
 * @example
 * const built = await findInstalledKatzenpost();
 * if (built) console.log(built.binaries.kpclientd);
 */
export async function findInstalledKatzenpost(
  options: Pick<InstallKatzenpostOptions, 'cacheRoot' | 'go'> = {},
): Promise<{ readonly binaries: KatzenpostBinaries; readonly buildDir: string } | null> {
  const where = await locate(options.go ?? 'go', options.cacheRoot ?? defaultCacheRoot());
  if (!where.ok || !(await stampMatches(where.stampFile, where.hash, where.bins))) return null;
  return { binaries: where.bins, buildDir: path.join(where.dir, 'build') };
}

/**
 * Makes every command of {@link KATZENPOST_COMMANDS} available, building them
 * if needed. Resolves `skipped` (never throws) when Go or a C compiler is
 * missing; rejects when Go is present but the build fails (with the tail of
 * go's output). While Go compiles it prints a line every
 * `heartbeatSeconds` with the number of packages compiled so far.
 *
 * @example
 * const result = await installKatzenpost();
 * if (result.status === 'skipped') console.warn(result.reason);
 * else console.log(result.binaries.kpclientd);
 */
export async function installKatzenpost(options: InstallKatzenpostOptions = {}): Promise<InstallResult> {
  const go = options.go ?? 'go';
  const log = options.log ?? ((line: string) => process.stderr.write(`[katzenpost-build] ${line}\n`));
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const where = await locate(go, cacheRoot);
  if (!where.ok) return { status: 'skipped', reason: where.reason };
  const { hash, goVersion, platform, dir, bins, stampFile } = where;
  const buildDir = path.join(dir, 'build');
  const ready = (reused: boolean) => ({ status: 'ready', binaries: bins, reused, recipeHash: hash, buildDir }) as const;
  if (await stampMatches(stampFile, hash, bins)) return ready(true);

  await mkdir(dir, { recursive: true });
  return withLock(path.join(dir, '.build-lock'), log, async () => {
    // Another process may have finished the build while we waited.
    if (await stampMatches(stampFile, hash, bins)) return ready(true);
    await rm(buildDir, { recursive: true, force: true });
    for (const [rel, text] of Object.entries(buildModuleFiles())) {
      const file = path.join(buildDir, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
    await mkdir(bins.binDir, { recursive: true });
    const pkgs = KATZENPOST_COMMANDS.map((c) => `github.com/katzenpost/katzenpost/cmd/${c}`);
    log(`building katzenpost ${KATZENPOST_VERSION} (${KATZENPOST_COMMANDS.join(', ')}) with ${goVersion}, cgo on, into ${dir}`);
    log(`hpqc ${HPQC_PINNED} => ${HPQC_REPLACEMENT}; falcon, sqisign => local stubs; a first build takes minutes (one C library, highctidh, dominates)`);
    const started = Date.now();
    let compiled = 0;
    let last = '';
    const heartbeat = setInterval(
      () => log(`still building (${Math.round((Date.now() - started) / 1000)} s, ${compiled} packages compiled${last ? `, last ${last}` : ''})`),
      (options.heartbeatSeconds ?? 15) * 1000,
    );
    let result: RunResult;
    try {
      result = await run(go, ['install', '-v', ...GO_INSTALL_FLAGS, ...pkgs], {
        cwd: buildDir,
        env: { ...goBuildEnv(options.env), GOBIN: bins.binDir },
        onLine: (line) => {
          if (PACKAGE_LINE.test(line.trim())) {
            compiled++;
            last = line.trim();
          } else {
            log(`go: ${line}`);
          }
        },
      });
    } finally {
      clearInterval(heartbeat);
    }
    if (result.code !== 0) {
      const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
      throw new Error(`go install failed (exit ${String(result.code)}) in ${buildDir}:\n${tail}`);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    const stamp = { recipeHash: hash, goVersion, platform, builtAt: new Date().toISOString(), buildSeconds: seconds, katzenpost: KATZENPOST_VERSION, hpqc: `${HPQC_PINNED} => ${HPQC_REPLACEMENT}`, flags: GO_INSTALL_FLAGS };
    await writeFile(stampFile, JSON.stringify(stamp, null, 2) + '\n');
    log(`built in ${seconds} s (${compiled} packages compiled) into ${bins.binDir}`);
    return ready(false);
  });
}
