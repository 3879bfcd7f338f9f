/**
 * `npm run build`, after tsc: the steps that tsc cannot do.
 *
 * - dist/wire/cbor-library.js becomes a bundle of cbor-x's plain entries
 *   (bundle-cbor.ts): the package depends on no cbor-x;
 * - dist/browser-bundle.js, the Node-free browser entry (see
 *   browser-bundle.ts for why). A name of its own, not tsc's
 *   dist/browser.js, so that a later plain `tsc` build cannot overwrite it
 *   with the unbundled module.
 *
 * `npm run build:example` (`--example`) also builds
 * examples/browser/dist/app.js.
 *
 *   npx tsx scripts/build.ts [--example] [--dist DIR]
 *
 * `--dist DIR` builds into another dist directory (the packaging spec
 * stages a package there without touching the repository's dist/).
 * Otherwise the build ends by touching `.cache/build-stamp`, which
 * `npm run demo` compares with the sources (scripts/demo.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildBrowserEntry, buildExamplePage, repoRoot } from './browser-bundle.js';
import { BUILD_STAMP } from './build-stamp.js';
import { bundleCborLibrary } from './bundle-cbor.js';

const distAt = process.argv.indexOf('--dist');
const dist = distAt >= 0 ? process.argv[distAt + 1]! : join(repoRoot, 'dist');

await bundleCborLibrary(dist);
console.log(`cbor-x: ${relative(repoRoot, join(dist, 'wire', 'cbor-library.js'))} (bundled, with its licence)`);

const outfile = join(dist, 'browser-bundle.js');
await buildBrowserEntry({ outfile });
console.log(`browser build: ${relative(repoRoot, outfile)} (no Node built-ins)`);

// The repository's dist/ is complete now (scripts/demo.ts builds again only when a source is newer).
if (distAt < 0) {
  mkdirSync(dirname(join(repoRoot, BUILD_STAMP)), { recursive: true });
  writeFileSync(join(repoRoot, BUILD_STAMP), `${new Date().toISOString()}\n`);
}

if (process.argv.includes('--example')) {
  const page = join(repoRoot, 'examples', 'browser', 'dist', 'app.js');
  await buildExamplePage({ outfile: page });
  console.log(`example page: ${relative(repoRoot, page)} (serve it next to examples/browser/index.html, or run npm run example:browser)`);
}
