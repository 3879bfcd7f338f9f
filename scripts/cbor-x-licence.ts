/**
 * cbor-x as the builds bundle it (bundle-cbor.ts for dist/wire,
 * browser-bundle.ts for the browser entry): where it is installed (a
 * devDependency of this repository), and the licence comment that must head
 * every file carrying its code.
 *
 * @example
 * await esbuild.build({ …, banner: { js: cborLicenceBanner() } });
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** cbor-x's package directory. */
export const cborXDir = dirname(createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'package.json')).resolve('cbor-x/package.json'));

/** Which cbor-x, and its MIT licence text, as a `/*!` comment that minifiers keep. */
export function cborLicenceBanner(): string {
  const { version } = JSON.parse(readFileSync(join(cborXDir, 'package.json'), 'utf8')) as { version: string };
  const licence = readFileSync(join(cborXDir, 'LICENSE'), 'utf8').trim();
  const lines = [`cbor-x ${version} (https://github.com/kriszyp/cbor-x), its plain JavaScript`, 'encoder and decoder, bundled into katzenpost-rx at build time.', '', ...licence.split('\n')];
  return `/*!\n${lines.map((line) => ` * ${line}`.trimEnd()).join('\n')}\n */`;
}
