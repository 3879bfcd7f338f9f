import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/*
 * The SDK never loads cbor-x's native addon (cbor-extract): it crashes Bun
 * and fails on Deno (src/wire/cbor-library.ts). Checked in the source (one
 * file imports cbor-x) and in a fresh process that loads every entry point.
 */
const root = resolve('.');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The native addon's files that a fresh Node process has loaded after importing `modules`. */
function nativeFilesLoadedBy(modules: readonly string[]): string[] {
  const script = [
    "import { createRequire } from 'node:module';",
    ...modules.map((m) => `await import(${JSON.stringify(m)});`),
    "console.log(JSON.stringify(Object.keys(createRequire(process.cwd() + '/x.js').cache).filter((f) => f.includes('cbor-extract'))));",
  ].join('\n');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as string[];
}

describe('cbor-x without its native addon', () => {
  it('is imported by one file of the SDK, through its plain JavaScript entries', () => {
    const importers = sourceFiles(join(root, 'src')).filter((file) => /from 'cbor-x(\/[a-z-]+)?'/.test(readFileSync(file, 'utf8')));
    expect(importers.map((file) => file.slice(root.length + 1))).toEqual(['src/wire/cbor-library.ts']);
    expect(readFileSync(join(root, 'src/wire/cbor-library.ts'), 'utf8')).not.toMatch(/from 'cbor-x'/);
  });

  it('is not loaded by any entry point of the package (and the check sees it when it is)', () => {
    expect(nativeFilesLoadedBy(['./src/index.ts', './src/sim/index.ts', './src/testing/index.ts', './src/cli/run-kpsim.ts', './src/cli/pigeonhole-cp/run-pigeonhole-cp.ts'])).toEqual([]);
    // Control: cbor-x's main entry does load it here (where it installed), so the check above can fail.
    const control = nativeFilesLoadedBy(['cbor-x']);
    const installed = readdirSync(join(root, 'node_modules')).includes('cbor-extract');
    expect(control.length > 0).toBe(installed);
  });
});
