import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

import type { Logger } from '../core/logger.js';
import { startSimulator, type SimulatorHandle } from '../sim/index.js';
import { KPSIM_USAGE, parseKpsimArgs } from './kpsim-args.js';

/** Where `kpsim` reads commands and writes text. */
export interface KpsimIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Interactive commands, one per line (optional). */
  readonly input?: NodeJS.ReadableStream;
}

/** A running `kpsim`. */
export interface RunningKpsim {
  /** `null` after `--help`. */
  readonly sim: SimulatorHandle | null;
  /** Graceful stop: `shutdown_event` to every client, then close. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once stopped (by `stop()` or the `quit` command). */
  readonly stopped: Promise<void>;
}

/**
 * The `kpsim` program, minus process wiring: parses `argv`, starts the
 * simulator, prints the address and the `thinclient.toml` to use, writes it
 * with `--write-config`, and serves line commands from `io.input`.
 *
 * @example
 * const running = await runKpsim(['--tcp', '127.0.0.1:0', '--time-scale', '0.01'], { stdout: console.log, stderr: console.error });
 * await running.stop();
 */
export async function runKpsim(argv: readonly string[], io: KpsimIo): Promise<RunningKpsim> {
  const args = parseKpsimArgs(argv);
  if (args.help) {
    io.stdout(KPSIM_USAGE);
    return { sim: null, stop: async () => undefined, stopped: Promise.resolve() };
  }
  const sim = await startSimulator({ ...args.options, logger: args.verbose ? stderrLogger(io) : quietLogger(io) });
  const toml = sim.thinClientToml();
  io.stdout(`kpsim: simulated kpclientd listening on ${sim.address}\n`);
  io.stdout(`kpsim: thinclient.toml:\n${toml}`);
  if (args.writeConfig !== undefined) {
    await writeFile(args.writeConfig, toml);
    io.stdout(`kpsim: wrote ${args.writeConfig}\n`);
  }

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | null = null;
  const lines = io.input === undefined ? null : createInterface({ input: io.input, terminal: false });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      lines?.close();
      await sim.close();
      io.stdout('kpsim: stopped\n');
      resolveStopped();
    })();
    return stopping;
  };
  lines?.on('line', (line) => {
    const reply = command(sim, line.trim(), stop);
    if (reply !== '') io.stdout(`${reply}\n`);
  });
  return { sim, stop, stopped };
}

/** One interactive command; returns the text to print. */
function command(sim: SimulatorHandle, name: string, stop: () => Promise<void>): string {
  switch (name) {
    case '':
      return '';
    case 'online':
    case 'offline':
      sim.setOnline(name === 'online');
      return `kpsim: gateway link ${name}`;
    case 'restart':
      sim.restart();
      return 'kpsim: daemon restarted (new instance token)';
    case 'kill':
      sim.kill();
      return 'kpsim: daemon crashed and restarted (no shutdown_event)';
    case 'drop':
      sim.dropConnections();
      return 'kpsim: connections dropped';
    case 'epoch':
      return `kpsim: published the document of epoch ${sim.publishNewDocument()}`;
    case 'stats':
      return `kpsim: ${JSON.stringify(sim.stats())}`;
    case 'quit':
    case 'exit':
      void stop();
      return '';
    default:
      return `kpsim: unknown command ${JSON.stringify(name)} (online, offline, restart, kill, drop, epoch, stats, quit)`;
  }
}

function stderrLogger(io: KpsimIo): Logger {
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) =>
    io.stderr(`${level} ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}\n`);
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

function quietLogger(io: KpsimIo): Logger {
  const verbose = stderrLogger(io);
  const noop = (): void => undefined;
  return { debug: noop, info: noop, warn: verbose.warn, error: verbose.error };
}
