import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the first folder above this file that holds a
 * package.json. Works from bench/ (type-checking) and from the compiled
 * copy under .cache/bench/build/ that the benchmark runs.
 */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('benchmark: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Where the benchmark keeps what it builds and installs (gitignored). */
export function cacheDir(...parts: string[]): string {
  return path.join(repoRoot(), '.cache', ...parts);
}
