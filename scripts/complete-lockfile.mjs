#!/usr/bin/env node
/**
 * Adds to package-lock.json the optional, platform-specific packages that
 * the registry of our build machines does not serve (e.g. cbor-extract's
 * prebuilt binaries, unrs-resolver's non-Linux bindings).
 *
 * Why: when `npm install` cannot fetch an optional dependency it leaves it
 * out of the lockfile, and `npm ci` then refuses the lockfile as "not in
 * sync" ("Missing: @cbor-extract/cbor-extract-darwin-arm64@ from lock
 * file"). An entry with the package's `os`/`cpu` lets `npm ci` skip it on
 * other platforms — and on ours, where it cannot be fetched, the optional
 * install fails softly as it would have anyway.
 *
 * Run after every `npm install` that changes the lockfile:
 *   node scripts/complete-lockfile.mjs
 * `--check` changes nothing and exits 1 when entries are missing
 * (spec/package/lockfile.spec.ts runs it that way).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

/** os and cpu from a platform package name such as `…-darwin-arm64` or `…-linux-x64-gnu`. */
function platformOf(name) {
  const os = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix'].find((o) => name.includes(`-${o}-`) || name.endsWith(`-${o}`));
  const cpu = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 's390x', 'riscv64', 'wasm32'].find((c) => name.includes(`-${c}-`) || name.endsWith(`-${c}`) || name.includes(`-${c}`));
  return os && cpu ? { os: [os], cpu: [cpu] } : null;
}

/** Where npm would place a dependency of the package at `path`: next to it, else up the tree. */
function resolved(path, name) {
  let base = path;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolved(path, name)) continue;
    const platform = platformOf(name);
    if (!platform) {
      console.warn(`complete-lockfile: ${name} (optional, of ${path || 'the root'}) is missing and not a platform package; left alone`);
      continue;
    }
    packages[`node_modules/${name}`] = { version: String(spec).replace(/^[\^~=]/, ''), optional: true, ...platform };
    added++;
  }
}
if (process.argv.includes('--check')) {
  if (added > 0) {
    console.error(`complete-lockfile: ${added} optional platform package(s) missing: run node scripts/complete-lockfile.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`complete-lockfile: ${added} optional platform package(s) added`);
}
