/**
 * The mark of a complete build of the repository's dist/: scripts/build.ts
 * touches it after its last step, and `npm run demo` (scripts/demo.ts)
 * rebuilds only when a source is newer. Outside dist/, so that it is never
 * packed.
 *
 * @example
 * writeFileSync(join(repoRoot, BUILD_STAMP), new Date().toISOString());
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The stamp's path, relative to the repository root. */
export const BUILD_STAMP = '.cache/build-stamp';
