/**
 * The browser build, shared by `npm run build` (dist/browser-bundle.js), `npm run
 * build:example` and the browser specs.
 *
 * Why a bundle: `ThinClient` imports its default socket factory
 * (`src/transport/connect-byte-stream.ts`), which reaches `node:net` for
 * TCP and Unix sockets. A dynamic `import()` would not help — bundlers
 * follow it and webpack and esbuild then fail on `node:net` — and a
 * package-internal swap (`imports` / `browser` field) would need every
 * bundler, Jest and tsc to agree on it. So dist/browser-bundle.js is built here
 * from src/browser.ts with that one module replaced by its WebSocket-only
 * twin, cbor-x bundled (the package carries it inside, scripts/bundle-cbor.ts)
 * and every other package dependency left as an import for the
 * application's bundler. Whatever bundler an application uses, the
 * `browser` export condition then gives it a graph without Node built-ins,
 * which {@link assertNoNodeBuiltins} checks on every build.
 */
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { cborLicenceBanner, cborXDir } from './cbor-x-licence.js';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const src = join(repoRoot, 'src');
const nodeSocketFactory = join(src, 'transport', 'connect-byte-stream.ts');
const browserSocketFactory = join(src, 'transport', 'connect-byte-stream-browser.ts');

/** Source files that must never be in a browser graph (they import Node built-ins). */
const nodeOnlySources = [
  'config/load-config.ts',
  'transport/connect-byte-stream.ts',
  'transport/tcp-transport.ts',
  'transport/unix-transport.ts',
  'transport/dial-node-socket.ts',
  'transport/node-socket-stream.ts',
  'transport/tick-batched-writer.ts',
].map((file) => join(src, file));

const builtins = new Set(builtinModules);

/** Whether an import specifier names a Node built-in (`node:net`, `fs`, `fs/promises`, …). */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(specifier.split('/')[0] ?? '');
}

/**
 * Fails the build at the first Node built-in an import reaches, naming the
 * importer (esbuild's own browser-platform error does not say which of our
 * files led there when the import is inside a dependency).
 */
export const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || !isNodeBuiltin(args.path)) return undefined;
      return { errors: [{ text: `Node built-in "${args.path}" reached from ${relative(repoRoot, args.importer)} in a browser build` }] };
    });
  },
};

/**
 * The two substitutions of the browser build: the WebSocket-only socket
 * factory for the Node one, and `ws` (which the WebSocket transport loads
 * only when there is no `globalThis.WebSocket`, never in a browser) for a
 * module that fails that load, so the application's bundler never sees `ws`.
 */
export const browserSubstitutes: esbuild.Plugin = {
  name: 'katzenpost-rx-browser-substitutes',
  setup(build) {
    build.onResolve({ filter: /(^|\/)connect-byte-stream\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      return target === nodeSocketFactory ? { path: browserSocketFactory } : undefined;
    });
    build.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'katzenpost-rx-no-ws' }));
    build.onLoad({ filter: /.*/, namespace: 'katzenpost-rx-no-ws' }, () => ({
      contents: "throw new Error('the ws package is not part of the browser build: use globalThis.WebSocket');",
      loader: 'js',
    }));
  },
};

/**
 * cbor-x is bundled, not left as an import: the package does not depend
 * on it (scripts/bundle-cbor.ts). Its plain entries, as in the Node build.
 */
export const bundleCborX: esbuild.Plugin = {
  name: 'katzenpost-rx-bundle-cbor-x',
  setup(build) {
    build.onResolve({ filter: /^cbor-x\/(encode|decode)$/ }, (args) => ({ path: join(cborXDir, `${args.path.slice('cbor-x/'.length)}.js`) }));
  },
};

/**
 * Checks a build's metafile: no Node-only source among the inputs, and no
 * Node built-in among the imports left in the outputs.
 *
 * @throws Error listing what was found.
 */
export function assertNoNodeBuiltins(metafile: esbuild.Metafile): void {
  const problems: string[] = [];
  for (const input of Object.keys(metafile.inputs)) {
    if (nodeOnlySources.includes(resolve(repoRoot, input))) problems.push(`Node-only source ${input} is in the bundle`);
  }
  for (const [file, output] of Object.entries(metafile.outputs)) {
    for (const imported of output.imports) {
      if (isNodeBuiltin(imported.path)) problems.push(`${file} imports the Node built-in ${imported.path}`);
    }
  }
  if (problems.length > 0) throw new Error(`the browser build is not Node-free:\n  ${problems.join('\n  ')}`);
}

/** What a browser build made: its code (empty when written to a file) and esbuild's metafile. */
export interface BrowserBuild {
  readonly code: string;
  readonly metafile: esbuild.Metafile;
}

/**
 * The esbuild call both builds share: ESM for `platform: 'browser'`,
 * written to `outfile` when `write` is set (else kept in memory and
 * returned as code), and refused unless Node-free.
 */
async function bundleForBrowser(options: Omit<esbuild.BuildOptions, 'metafile'> & { readonly write: boolean }): Promise<BrowserBuild> {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent',
    ...options,
    metafile: true,
  });
  assertNoNodeBuiltins(result.metafile);
  const code = options.write ? '' : new TextDecoder().decode(result.outputFiles?.find((file) => file.path.endsWith('.js'))?.contents ?? new Uint8Array(0));
  return { code, metafile: result.metafile };
}

/**
 * Bundles src/browser.ts for browsers: our code (and cbor-x, which the
 * package carries inside), dependencies left as imports. Writes `outfile` (and its source map) when given, else returns
 * the code only. Throws if the result is not Node-free.
 *
 * @example
 * await buildBrowserEntry({ outfile: 'dist/browser-bundle.js' });
 */
export function buildBrowserEntry(options: { readonly outfile?: string } = {}): Promise<BrowserBuild> {
  return bundleForBrowser({
    entryPoints: [join(src, 'browser.ts')],
    outfile: options.outfile ?? join(repoRoot, 'dist', 'browser-bundle.js'),
    packages: 'external',
    banner: { js: cborLicenceBanner() },
    sourcemap: options.outfile ? 'linked' : false,
    write: options.outfile !== undefined,
    plugins: [browserSubstitutes, bundleCborX, noNodeBuiltins],
  });
}

/**
 * Builds examples/browser the way an application would: the page imports
 * `katzenpost-rx`, which resolves to a fresh browser entry bundle (as the
 * `browser` export condition resolves to dist/browser-bundle.js), and everything —
 * our bundle, rxjs, cbor-x, @noble/hashes, smol-toml — is bundled for
 * `platform: 'browser'`. Any Node built-in reached fails the build.
 *
 * `entry` bundles another page script the same way (the browser specs'
 * probes).
 *
 * @example
 * const { code } = await buildExamplePage(); // serve it as app.js next to examples/browser/index.html
 */
export async function buildExamplePage(options: { readonly outfile?: string; readonly entry?: string } = {}): Promise<BrowserBuild> {
  const library = await buildBrowserEntry();
  const asPackage: esbuild.Plugin = {
    name: 'katzenpost-rx-as-package',
    setup(build) {
      build.onResolve({ filter: /^katzenpost-rx$/ }, () => ({ path: 'katzenpost-rx', namespace: 'katzenpost-rx-package' }));
      // resolveDir: the bundle's dependencies resolve from this package's node_modules, as when installed.
      build.onLoad({ filter: /.*/, namespace: 'katzenpost-rx-package' }, () => ({ contents: library.code, loader: 'js', resolveDir: repoRoot }));
    },
  };
  return bundleForBrowser({
    entryPoints: [options.entry ?? join(repoRoot, 'examples', 'browser', 'main.ts')],
    outfile: options.outfile ?? join(repoRoot, 'examples', 'browser', 'dist', 'app.js'),
    write: options.outfile !== undefined,
    plugins: [asPackage, noNodeBuiltins],
  });
}
