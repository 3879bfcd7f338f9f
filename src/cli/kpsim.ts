#!/usr/bin/env node
/**
 * `kpsim`: run the daemon simulator from the command line. See
 * `kpsim --help`; the program itself is {@link runKpsim}.
 *
 * @example
 * // $ kpsim --tcp 127.0.0.1:64331 --time-scale 0.1 --write-config thinclient.toml
 */
import { runKpsim } from './run-kpsim.js';

const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
  input: process.stdin,
};

try {
  const running = await runKpsim(process.argv.slice(2), io);
  const stop = (): void => {
    void running.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running.stopped;
  // stdin may keep the event loop alive after a signal.
  process.exit(0);
} catch (error) {
  io.stderr(`kpsim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
