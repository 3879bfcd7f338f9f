import { parseArgs } from 'node:util';

import { ConfigError } from '../errors/local-errors.js';
import type { SimulatorOptions } from '../sim/simulator-options.js';

/** What the `kpsim` command line asks for. */
export interface KpsimArgs {
  /** Options for `startSimulator`. */
  readonly options: SimulatorOptions;
  /** Where to write `thinclient.toml`, if anywhere. */
  readonly writeConfig: string | undefined;
  /** Print debug logs to stderr. */
  readonly verbose: boolean;
  /** `--help`: print usage and exit. */
  readonly help: boolean;
}

/** Usage text of `kpsim`. */
export const KPSIM_USAGE = `Usage: kpsim [options]

A simulated kpclientd (Katzenpost client daemon) speaking the thin-client
protocol, for tests and demos. Any thin client can connect to it.

Listener (one of; default --tcp 127.0.0.1:64331):
  --tcp host:port          TCP (port 0 = any free port)
  --unix path              Unix socket (@name = Linux abstract socket)
  --ws ws://host:port      WebSocket

Behaviour:
  --time-scale N           real ms per simulated ms (default 1 = real time)
  --offline                start with the gateway link down
  --no-document            no PKI document (each connect waits 30 s)
  --fixed-latency-ms N     every mixnet operation takes exactly N ms
  --grace-period-ms N      session grace period (default 600000)
  --epoch-period-ms N      epoch length (default 1200000)
  --seed S                 seed for every random choice

Output:
  --write-config FILE      write the thinclient.toml to FILE
  --verbose                log to stderr
  --help                   this text

While running, type a command and Enter: online, offline, restart, kill,
drop, epoch, stats, quit. SIGINT/SIGTERM stop it (clients get shutdown_event).
`;

/**
 * Parses `kpsim` arguments (`node:util` `parseArgs`, strict).
 *
 * @example
 * parseKpsimArgs(['--unix', '/tmp/kp.sock', '--time-scale', '0.1']).options.timeScale; // 0.1
 */
export function parseKpsimArgs(argv: readonly string[]): KpsimArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        tcp: { type: 'string' },
        unix: { type: 'string' },
        ws: { type: 'string' },
        'time-scale': { type: 'string' },
        offline: { type: 'boolean', default: false },
        'no-document': { type: 'boolean', default: false },
        'fixed-latency-ms': { type: 'string' },
        'grace-period-ms': { type: 'string' },
        'epoch-period-ms': { type: 'string' },
        seed: { type: 'string' },
        'write-config': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (cause) {
    throw new ConfigError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
  const listeners = [values.tcp, values.unix, values.ws].filter((v) => v !== undefined);
  if (listeners.length > 1) throw new ConfigError('give only one of --tcp, --unix, --ws');
  const listen =
    values.unix !== undefined ? { unix: values.unix } : values.ws !== undefined ? { ws: values.ws } : { tcp: values.tcp ?? '127.0.0.1:64331' };
  const options: SimulatorOptions = {
    listen,
    online: !values.offline,
    hasDocument: !values['no-document'],
    ...optionalNumber('timeScale', values['time-scale'], '--time-scale', true),
    ...optionalNumber('fixedLatencyMs', values['fixed-latency-ms'], '--fixed-latency-ms', false),
    ...optionalNumber('sessionGracePeriodMs', values['grace-period-ms'], '--grace-period-ms', false),
    ...optionalNumber('epochPeriodMs', values['epoch-period-ms'], '--epoch-period-ms', true),
    ...(values.seed === undefined ? {} : { seed: values.seed }),
  };
  return { options, writeConfig: values['write-config'], verbose: values.verbose, help: values.help };
}

function optionalNumber<K extends string>(key: K, text: string | undefined, flag: string, positive: boolean): { [P in K]?: number } {
  if (text === undefined) return {};
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new ConfigError(`${flag}: expected a ${positive ? 'positive' : 'non-negative'} number, got ${JSON.stringify(text)}`);
  }
  return { [key]: value } as { [P in K]?: number };
}
