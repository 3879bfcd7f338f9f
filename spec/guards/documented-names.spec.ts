import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { publicSurface } from '../support/public-surface.js';

/**
 * A guard against doc comments that promise what the code does not have
 * (issue 14, item 3: the façade's `readStream$` once documented
 * `retryDelayMs` and `maxRetryDelayMs`, options that never existed).
 *
 * 1. A method's or function's doc may mention its options — as
 *    `options.name`, or as a backticked name of any options type of the
 *    package — only if its own `options` parameter has them.
 * 2. Each `ThinClient` method is documented once, on the façade: the
 *    feature function behind it (src/client/…) points there instead of
 *    repeating the text (27 identical copies had drifted in 4 places).
 * 3. Every backticked name in a public doc comment must exist: declared
 *    somewhere in src/, exported, or one of the few outside names listed
 *    below. In the README and the API reference's pages, where backticks
 *    also hold commands and plain words, the camelCase names and the
 *    `options.name` mentions must.
 */

/** Names from outside the package that docs may mention: RxJS, the platform, the daemon's Go API. */
const OUTSIDE_NAMES = new Set([
  // RxJS
  'firstValueFrom', 'lastValueFrom', 'share', 'shareReplay', 'defer', 'switchMap', 'concatMap', 'mergeMap', 'catchError', 'takeUntil', 'scan', 'retry', 'timeout', 'subscribe', 'unsubscribe', 'pipe', 'finalize',
  // JavaScript and the platforms
  'null', 'undefined', 'true', 'false', 'async', 'await', 'globalThis', 'require', 'import', 'console', 'crypto', 'util', 'inspect', 'window',
  // Jest, package.json
  'toEqual', 'devDependencies', 'peerDependencies', 'optionalDependencies',
  // The daemon's and upstream's Go source (struct tags, nil, function names)
  'omitempty', 'nil', 'copyCommandError', 'eventSinkWorker',
]);

const IDENTIFIER = /^[a-z][A-Za-z0-9]*\$?$/;

/** The names a doc mentions in backticks: `name`, `name()`, `options.name`, `client.name(…)`. */
function mentionedNames(doc: string): { readonly name: string; readonly asOption: boolean }[] {
  const out: { name: string; asOption: boolean }[] = [];
  for (const [, inner] of doc.matchAll(/`([^`\n]+)`/g)) {
    const text = inner!.trim();
    const option = /^options\.([A-Za-z0-9$]+)$/.exec(text);
    if (option) {
      out.push({ name: option[1]!, asOption: true });
      continue;
    }
    const call = /^(?:client\.)?([a-z][A-Za-z0-9]*\$?)(?:\(\S*\))?$/.exec(text);
    if (call && IDENTIFIER.test(call[1]!)) out.push({ name: call[1]!, asOption: false });
  }
  return out;
}

describe('doc comments mention only what exists', () => {
  const surface = publicSurface();
  const optionTypes = surface.types.filter((t) => t.name.endsWith('Options'));
  const anyOptionName = new Set(optionTypes.flatMap((t) => t.propertyNames));
  const exists = (name: string): boolean => surface.declaredNames.has(name) || surface.exportNames.has(name) || OUTSIDE_NAMES.has(name);

  it('methods and functions document only options they take', () => {
    const documented = [
      ...surface.members.filter((m) => m.kind === 'method').map((m) => ({ what: `${m.owner}.${m.name}`, ...m })),
      ...surface.functions.map((f) => ({ what: f.name, ...f })),
    ];
    const wrong: string[] = [];
    for (const { what, doc, optionNames, parameterNames, at } of documented) {
      const own = new Set(optionNames ?? []);
      const owner = what.includes('.') ? what.split('.')[0] : null;
      const ownerHas = (name: string) => surface.members.some((m) => m.owner === owner && m.name === name);
      for (const { name, asOption } of mentionedNames(doc)) {
        // A backticked option name of some options type, unless it is this method's parameter or a member of its class.
        const looksLikeAnOption = asOption || (anyOptionName.has(name) && !parameterNames.includes(name) && !ownerHas(name));
        if (looksLikeAnOption && !own.has(name) && !(asOption === false && exists(name) && !anyOptionName.has(name))) {
          wrong.push(`${at} ${what}: documents option \`${name}\`, which ${optionNames ? `its options (${[...own].join(', ')}) do not have` : 'it cannot take (no options parameter)'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every name in backticks in a public doc comment exists', () => {
    const docs = [
      ...surface.members.map((m) => ({ at: m.at, doc: m.doc })),
      ...surface.functions.map((f) => ({ at: f.at, doc: f.doc })),
      ...surface.types.flatMap((t) => t.docs),
    ];
    const unknown = docs.flatMap(({ at, doc }) => mentionedNames(doc).filter(({ name }) => !exists(name)).map(({ name }) => `${at}: \`${name}\``));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it.each(['README.md', 'docs/index.md', 'docs/api-mapping.md'])('every option and camelCase name in backticks in %s exists', (file) => {
    const text = readFileSync(file, 'utf8');
    const unknown = mentionedNames(text)
      .filter(({ name, asOption }) => (asOption || /[A-Z]/.test(name)) && !exists(name))
      .map(({ name }) => name);
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('each ThinClient method is documented once: its feature function points to the façade', () => {
    const methods = new Set(surface.members.filter((m) => m.owner === 'ThinClient').map((m) => m.name));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const copies: string[] = [];
    let pointers = 0;
    for (const file of files('src/client').filter((f) => !f.endsWith('thin-client.ts'))) {
      for (const [, doc, name] of readFileSync(file, 'utf8').matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\nexport (?:async )?function ([A-Za-z$]+)\(/g)) {
        if (!methods.has(name!)) continue;
        if (doc!.includes(`{@link ThinClient.${name}}`) && doc!.split('\n').length <= 3) pointers++;
        else copies.push(`${file}: ${name}`);
      }
    }
    expect(copies).toEqual([]);
    expect(pointers).toBeGreaterThan(25);
  });

  it('catches the drift it was written for', () => {
    const doc = 'A box not written yet is asked for again after `retryDelayMs` (doubling to `options.maxRetryDelayMs`).';
    expect(mentionedNames(doc).map(({ name }) => exists(name))).toEqual([false, false]);
  });
});
