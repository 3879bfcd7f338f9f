/**
 * The runtime matrix (a stage of .ci/run, after the main suite; also
 * `npm run matrix`): the SDK on Node 20, 22 and 24, Bun and Deno.
 *
 * 1. Each runtime is installed from the npm registry into the runtime
 *    cache, or reused from it (install-runtime.ts says the rule).
 * 2. The package is packed and installed into a blank project with npm's
 *    defaults, as a user gets it. It carries cbor-x inside (no cbor-x, and
 *    so no native addon cbor-extract — which crashes Bun — is installed:
 *    checked as one line of the matrix).
 * 3. The smoke suite (smoke.ts), type-checked against the installed
 *    package, runs on each runtime against `kpsim` (on this Node): connect
 *    and events, echo send, write/read, readStream$ over several boxes,
 *    cancel by unsubscribe, a channel on the durable store, pigeonhole-cp.
 * 4. The shared channel-store suite and the SQLite driver spec run from the
 *    repository on Node 22 and 24 (jest: `node:sqlite`) and Bun (`bun
 *    test`: `bun:sqlite`, and Bun's `node:sqlite`).
 *
 * One line per runtime and check, then `matrix: N passed, N failed, N
 * skipped`; exit code 1 if anything failed.
 *
 *   npx tsx scripts/runtimes/runtime-matrix.ts [--only node24,bun]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installIntoBlankProject, packPackage, repoRoot, run } from '../pack-package.js';
import { installRuntime, RUNTIMES, runtimeCacheDir, runtimeLabel, type InstalledRuntime, type RuntimeId } from './install-runtime.js';

/** How long one runtime's smoke suite or store suite may take before it counts as hung. */
const STAGE_TIMEOUT_MS = 10 * 60_000;

interface Line {
  readonly runtime: string;
  readonly check: string;
  readonly status: 'ok' | 'FAIL' | 'skipped';
  readonly detail: string;
}

const lines: Line[] = [];
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function report(line: Line): void {
  lines.push(line);
  console.log(`${line.runtime.padEnd(14)} ${line.check.padEnd(22)} ${line.status.padEnd(7)} ${line.detail}`);
}

/** Runs the smoke suite on one runtime; a line per check. */
function smoke(runtime: InstalledRuntime, app: string, name: string): void {
  const result = spawnSync(runtime.executable, [...runtime.spec.runArgs, 'smoke.js'], {
    cwd: app,
    encoding: 'utf8',
    timeout: STAGE_TIMEOUT_MS,
    env: { ...process.env, NODE_OPTIONS: '', KPRX_SMOKE_NODE: process.execPath, KPRX_SMOKE_RUN_ARGS: JSON.stringify(runtime.spec.runArgs) },
  });
  const checks = result.stdout.split('\n').filter((l) => l.startsWith('SMOKE '));
  for (const line of checks) {
    const [, check, status, ms, ...detail] = line.split(' ');
    report({ runtime: name, check: check!, status: status === 'ok' ? 'ok' : 'FAIL', detail: `${seconds(Number(ms))}  ${detail.join(' ')}` });
  }
  if (result.status !== 0 && !checks.some((l) => l.includes(' FAIL '))) {
    // It died before or between checks (a crash at start is exactly what this is for).
    const why = result.error?.message ?? `exit ${String(result.status ?? result.signal)}`;
    report({ runtime: name, check: 'smoke suite', status: 'FAIL', detail: `${why}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}` });
  }
}

/** The repository's store specs on one runtime (jest on Node, `bun test` on Bun); one line. */
function storeSuite(runtime: InstalledRuntime, name: string): void {
  const specs = ['spec/channels/channel-store.spec.ts', 'spec/channels/sqlite-driver.spec.ts'];
  const id = runtime.spec.id;
  if (id === 'node20' || id === 'deno') {
    const why = id === 'node20'
      ? 'npm test runs every spec on Node 20 (better-sqlite3)'
      : "deno test has no jest globals; Deno's node:sqlite runs npm test's crash and cross-driver specs";
    report({ runtime: name, check: 'store-suite', status: 'skipped', detail: why });
    return;
  }
  const started = Date.now();
  const [command, args] = id === 'bun' ? [runtime.executable, ['test', ...specs]] : [runtime.executable, ['--experimental-vm-modules', join('node_modules', 'jest', 'bin', 'jest.js'), '--verbose', ...specs]];
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8', timeout: STAGE_TIMEOUT_MS, env: { ...process.env, NODE_OPTIONS: '' } });
  const output = `${result.stdout}\n${result.stderr}`;
  const drivers = [...new Set(output.match(/ChannelStore behaviour: sqlite:[a-z:0-9-]+/g) ?? [])].map((d) => d.slice('ChannelStore behaviour: sqlite:'.length));
  const counts = output.match(/Tests:\s+.*total|\d+ pass\s*\n\s*\d+ fail/)?.[0].replace(/\s+/g, ' ') ?? 'no summary';
  report({
    runtime: name,
    check: 'store-suite',
    status: result.status === 0 && drivers.length > 0 ? 'ok' : 'FAIL',
    detail: `${seconds(Date.now() - started)}  SQLite drivers: ${drivers.join(', ') || 'none'}; ${counts}${result.status === 0 ? '' : ` — ${output.trim().split('\n').slice(-5).join(' | ')}`}`,
  });
}

function main(): void {
  const started = Date.now();
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',')) : null;
  const specs = RUNTIMES.filter((spec) => only === null || only.has(spec.id));
  console.log(`runtime matrix: ${specs.map(runtimeLabel).join(', ')} (runtime cache: ${runtimeCacheDir()})`);

  const installed = new Map<RuntimeId, InstalledRuntime>();
  for (const spec of specs) {
    const name = runtimeLabel(spec);
    const t = Date.now();
    try {
      const runtime = installRuntime(spec);
      installed.set(spec.id, runtime);
      report({ runtime: name, check: 'install', status: 'ok', detail: `${runtime.cached ? 'from the cache' : `installed from the npm registry in ${seconds(Date.now() - t)}`} (${runtime.reported})` });
    } catch (error) {
      report({ runtime: name, check: 'install', status: 'FAIL', detail: error instanceof Error ? error.message : String(error) });
    }
  }

  const work = mkdtempSync(join(tmpdir(), 'kprx-matrix-'));
  try {
    const t = Date.now();
    const tarball = packPackage(work);
    const app = join(work, 'app');
    installIntoBlankProject(app, tarball);
    copyFileSync(join(repoRoot, 'scripts', 'runtimes', 'smoke.ts'), join(app, 'smoke.ts'));
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck',
      '--types', 'node', '--typeRoots', join(repoRoot, 'node_modules', '@types'), 'smoke.ts'], { cwd: app });
    console.log(`packed, installed into a blank project (npm defaults) and the smoke suite type-checked against it in ${seconds(Date.now() - t)}`);
    const strays = ['cbor-x', 'cbor-extract'].filter((name) => readdirSync(join(app, 'node_modules')).includes(name));
    report({
      runtime: 'package',
      check: 'cbor-x-inside',
      status: strays.length === 0 ? 'ok' : 'FAIL',
      detail: strays.length === 0 ? 'neither cbor-x nor its native addon installed' : `the install brought ${strays.join(', ')}`,
    });

    for (const spec of specs) {
      const runtime = installed.get(spec.id);
      if (runtime === undefined) continue;
      const name = runtimeLabel(spec);
      smoke(runtime, app, name);
      storeSuite(runtime, name);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const count = (status: Line['status']): number => lines.filter((l) => l.status === status).length;
  console.log(`runtime matrix took ${seconds(Date.now() - started)}`);
  console.log(`matrix: ${count('ok')} passed, ${count('FAIL')} failed, ${count('skipped')} skipped`);
  process.exitCode = count('FAIL') > 0 ? 1 : 0;
}

main();
