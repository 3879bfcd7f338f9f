import type { SqliteBackend } from '../../../src/channels/sqlite-driver.js';
import type { ThinClientConfig } from '../../../src/config/dial-config.js';

/** Where a crash-test child stops to be killed: a durability step (or the reader's `app:handled`) and which occurrence of it in that process. */
export interface KillPoint {
  readonly step: string;
  readonly occurrence: number;
}

/** What the test passes to a crash-test child (environment variable CRASH_CHILD, JSON). */
export interface CrashChildConfig {
  /** `joiner` / `inductor`: the two sides of a contact exchange (contact-crash.spec.ts). */
  readonly role: 'writer' | 'reader' | 'joiner' | 'inductor';
  readonly store: 'file' | 'sqlite';
  /** The SQLite driver to use; by default the first that works in the child's runtime. */
  readonly sqliteBackend?: SqliteBackend;
  readonly storePath: string;
  readonly thinClientConfig: ThinClientConfig;
  /** The messages the writer sends, or the reader expects. */
  readonly messages: readonly string[];
  /** The reader's read capability string. */
  readonly share?: string;
  /** The inductor's invite string. */
  readonly invite?: string;
  /** The joiner's phase: `invite` (publish and print it), or `await` (wait for the answer). */
  readonly phase?: 'invite' | 'await';
  readonly kill?: KillPoint;
  /** `drop-outbox`: the control run, behaving like upstream (queued sends are not re-sent after a restart). */
  readonly fault?: 'drop-outbox';
}
