/**
 * The other side of the cross-driver spec, run on another runtime (bundled,
 * see sqlite-driver.spec.ts): `write <path>` writes the sample there with
 * the runtime's first SQLite driver; `read <path>` prints what it reads.
 * One JSON line on stdout: `{ backend, sample?, schema }`.
 */
import { SqliteChannelStore } from '../../../src/channels/sqlite-channel-store.js';
import { readSample, schemaOf, writeSample } from './sqlite-sample.js';

const [mode, path] = process.argv.slice(2);
if (path === undefined || (mode !== 'write' && mode !== 'read')) throw new Error('usage: sqlite-peer write|read <path>');
const [backend] = await SqliteChannelStore.backends();
if (mode === 'write') await writeSample(path);
const sample = mode === 'read' ? await readSample(path) : undefined;
process.stdout.write(`${JSON.stringify({ backend, sample, schema: await schemaOf(path) })}\n`);
