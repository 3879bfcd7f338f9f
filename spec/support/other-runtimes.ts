/**
 * The runtimes besides the one running jest whose built-in SQLite the
 * store specs exercise through child processes: Node 24 (`node:sqlite`),
 * Bun (`bun:sqlite`) and Deno (its own `node:sqlite`). Installed from the
 * npm registry into the runtime cache on first use (scripts/runtimes; a
 * few seconds each, then reused).
 *
 * @example
 * for (const rt of otherRuntimes()) spawnSync(rt.command, [...rt.args, 'child.mjs']);
 */
import type { SqliteBackend } from '../../src/channels/sqlite-driver.js';
import { installRuntime, runtimeById, runtimeLabel, type RuntimeId } from '../../scripts/runtimes/install-runtime.js';

/** A runtime to run a bundled child script on. */
export interface OtherRuntime {
  /** e.g. `Bun 1.4.5`. */
  readonly name: string;
  readonly command: string;
  /** Arguments before the script's path. */
  readonly args: readonly string[];
  /** The SQLite driver the store picks there. */
  readonly builtinSqlite: SqliteBackend;
}

const BUILTIN: ReadonlyArray<readonly [RuntimeId, SqliteBackend]> = [
  ['node24', 'node:sqlite'],
  ['bun', 'bun:sqlite'],
  ['deno', 'node:sqlite'],
];

/** Node 24, Bun and Deno (installed on first use). */
export function otherRuntimes(): OtherRuntime[] {
  return BUILTIN.map(([id, builtinSqlite]) => {
    const installed = installRuntime(runtimeById(id));
    return { name: runtimeLabel(installed.spec), command: installed.executable, args: installed.spec.runArgs, builtinSqlite };
  });
}
