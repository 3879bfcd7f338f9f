#!/usr/bin/env node
/**
 * `pigeonhole-cp`: send and receive files over Pigeonhole channels. See
 * `pigeonhole-cp --help`; the program itself is {@link runPigeonholeCp}.
 *
 * @example
 * // $ pigeonhole-cp genkey --key alice.key --config sim.toml
 * // $ pigeonhole-cp send report.pdf --key alice.key --config sim.toml
 * // $ pigeonhole-cp receive ./inbox --cap kprx1:… --config sim.toml
 * // or, without pasting capabilities: the receiver runs
 * // $ pigeonhole-cp invite --pending bob.invite --config sim.toml   (prints kprxinvite1:…, waits)
 * // and the sender answers it with
 * // $ pigeonhole-cp accept kprxinvite1:… --key alice.key --config sim.toml
 */
import { runPigeonholeCp } from './pigeonhole-cp/run-pigeonhole-cp.js';

const abort = new AbortController();
const interrupt = (): void => abort.abort();
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

const code = await runPigeonholeCp(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrStream: process.stderr,
  signal: abort.signal,
});
// Flush stdout before exiting (pipes are asynchronous).
process.stdout.write('', () => process.exit(code));
