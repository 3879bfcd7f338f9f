import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take } from 'rxjs';
import { ChannelManager } from '../../src/channels/channel-manager.js';
import type { ChannelStore } from '../../src/channels/channel-store.js';
import { FileChannelStore } from '../../src/channels/file-channel-store.js';
import { SqliteChannelStore } from '../../src/channels/sqlite-channel-store.js';
import { ThinClient } from '../../src/client/thin-client.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { SQLITE_BACKENDS_HERE } from '../channels/support/store-factories.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { bundleCrashChild, runScenario, type Kill, type RunResult } from './support/crash-harness.js';
import type { CrashChildConfig } from './support/crash-protocol.js';

/*
 * The contact exchange killed (SIGKILL) at each of its durability steps, on
 * both sides, then restarted until it completes: the joiner while storing
 * its invite, the inductor after storing its sealed answer, after writing
 * it and after committing the contact, and the joiner after opening the
 * answer and after committing. Afterwards both stores hold one contact and
 * no exchange, and the two talk over the contact's channels — the answer a
 * resumed inductor wrote is the one its stored channel matches.
 */

interface ContactCrashStore {
  readonly label: string;
  readonly kind: 'file' | 'sqlite';
}
const STORES: readonly ContactCrashStore[] = [{ label: 'file', kind: 'file' }, ...(SQLITE_BACKENDS_HERE.length > 0 ? [{ label: 'sqlite', kind: 'sqlite' as const }] : [])];
const step = (s: string): Kill => ({ kind: 'step', step: s, occurrence: 0 });

const INVITE_KILLS = [step('invite:stored')];
const ACCEPT_KILLS = [step('accept:sealed'), step('accept:answered'), step('accept:committed')];
const AWAIT_KILLS = [step('invite:opened'), step('invite:committed')];

let sim: SimulatorHandle;
let bundle: string;
let dir: string;
let client: ThinClient;

beforeAll(async () => {
  bundle = bundleCrashChild();
  sim = await startSpecSimulator({ realTime: 'child processes are killed at kill points, not at times; stores and messages are asserted', seed: 'contact-crash' });
  client = await ThinClient.connect(sim.config);
  dir = mkdtempSync(join(tmpdir(), 'kprx-contact-crash-'));
});
afterAll(async () => {
  await client.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const openStore = (kind: 'file' | 'sqlite', path: string): Promise<ChannelStore> => (kind === 'sqlite' ? SqliteChannelStore.open(path) : FileChannelStore.open(path));
const killed = (runs: readonly RunResult[]): number => runs.filter((r) => r.killed).length;
const linesOf = (runs: readonly RunResult[], prefix: string): string[] => runs.flatMap((r) => r.lines.filter((l) => l.startsWith(`${prefix} `)).map((l) => l.slice(prefix.length + 1)));

describe.each(STORES.map((store) => [store.label, store] as const))('contact exchange crash safety with the %s store', (_label, { kind }) => {
  it('completes with one contact on each side, and a working conversation, whatever step each side was killed at', async () => {
    const ext = kind === 'sqlite' ? 'db' : 'json';
    const joinerPath = join(dir, `${kind}-joiner.${ext}`);
    const inductorPath = join(dir, `${kind}-inductor.${ext}`);
    const base = { store: kind, thinClientConfig: sim.config, messages: [] } as const;

    const invited = await runScenario(bundle, { ...base, role: 'joiner', phase: 'invite', storePath: joinerPath } satisfies CrashChildConfig, INVITE_KILLS);
    const invites = linesOf(invited.runs, 'INVITE');
    expect(invites).toHaveLength(1); // killed before it was handed out; the restart hands out the stored one
    const accepted = await runScenario(bundle, { ...base, role: 'inductor', invite: invites[0]!, storePath: inductorPath } satisfies CrashChildConfig, ACCEPT_KILLS);
    const awaited = await runScenario(bundle, { ...base, role: 'joiner', phase: 'await', storePath: joinerPath } satisfies CrashChildConfig, AWAIT_KILLS);
    expect([killed(invited.runs), killed(accepted.runs), killed(awaited.runs)]).toEqual([INVITE_KILLS.length, ACCEPT_KILLS.length, AWAIT_KILLS.length]);
    expect(linesOf(accepted.runs, 'CONTACT')).toEqual(['Joiner']);
    expect(linesOf(awaited.runs, 'CONTACT')).toEqual(['Inductor']);
    if (kind === 'file') expect(statSync(joinerPath).mode & 0o777).toBe(0o600);

    const joinerStore = await openStore(kind, joinerPath);
    const inductorStore = await openStore(kind, inductorPath);
    try {
      const joiner = new ChannelManager(client, joinerStore);
      const inductor = new ChannelManager(client, inductorStore);
      for (const manager of [joiner, inductor]) {
        expect(await manager.exchanges()).toEqual([]);
        expect((await manager.contacts()).map((c) => c.name)).toEqual(['peer']);
        expect((await manager.list()).map((c) => c.name)).toEqual(['peer/in', 'peer/out']);
      }
      const talk = async (from: ChannelManager, to: ChannelManager, words: string): Promise<string> => {
        await firstValueFrom((await from.get('peer/out')).send(new TextEncoder().encode(words)));
        const got = await firstValueFrom((await to.get('peer/in')).messages$({ initialDelayMs: 1, maxDelayMs: 5 }).pipe(take(1)));
        return new TextDecoder().decode(got.plaintext);
      };
      expect(await talk(joiner, inductor, 'from the joiner')).toBe('from the joiner');
      expect(await talk(inductor, joiner, 'from the inductor')).toBe('from the inductor');
    } finally {
      await joinerStore.close();
      await inductorStore.close();
    }
    process.stdout.write(
      `contact exchange, store=${kind}: killpoints=${killed(invited.runs) + killed(accepted.runs) + killed(awaited.runs)} runs=${invited.runs.length + accepted.runs.length + awaited.runs.length} lost=0 (both contacts stored, both directions delivered)\n`,
    );
  }, 120_000); // the jest default: child processes restart on a loaded machine
});
