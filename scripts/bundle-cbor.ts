/**
 * The build's cbor-x step (after tsc): replaces dist/wire/cbor-library.js —
 * tsc's output, which imports `cbor-x/decode` and `cbor-x/encode` — with a
 * bundle of those two plain-JavaScript entries of cbor-x, headed by cbor-x's
 * MIT licence. The published package then depends on no cbor-x, so an
 * application's install never fetches cbor-x's optional native addon
 * (cbor-extract) nor compiles it where the registry serves no prebuilt
 * binary — the SDK never loads it anyway (src/wire/cbor-library.ts).
 *
 * @example
 * await bundleCborLibrary(join(repoRoot, 'dist'));
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from './browser-bundle.js';
import { cborLicenceBanner } from './cbor-x-licence.js';

/**
 * Writes `<dist>/wire/cbor-library.js` (and its source map) as the bundle.
 * Throws if the result still imports anything: the bundle must stand alone.
 */
export async function bundleCborLibrary(dist: string): Promise<void> {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, 'src', 'wire', 'cbor-library.ts')],
    outfile: join(dist, 'wire', 'cbor-library.js'),
    bundle: true,
    format: 'esm',
    // cbor-x's "default" export condition: its plain entries (encode.js, decode.js), on every runtime.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: cborLicenceBanner() },
    legalComments: 'inline',
    logLevel: 'silent',
    metafile: true,
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  if (imports.length > 0) throw new Error(`the cbor-x bundle still imports ${imports.join(', ')}`);
}
