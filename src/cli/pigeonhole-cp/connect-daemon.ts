import os from 'node:os';
import { loadConfig } from '../../config/load-config.js';
import { ThinClient } from '../../client/thin-client.js';
import { TransportError } from '../../errors/local-errors.js';
import { MAX_ENCRYPTION_CONNECTIONS } from '../../client/validate-options.js';
import { startSimulator } from '../../sim/index.js';
import type { CliIo } from './cli-io.js';

/**
 * Encryption connections (`ThinClientOptions.encryptionConnections`): one
 * per core of this machine, where kpclientd normally runs — each is a
 * connection on whose reader the daemon can encrypt in parallel.
 */
const ENCRYPTION_CONNECTIONS = Math.min(MAX_ENCRYPTION_CONNECTIONS, os.availableParallelism());

/** A connected client and how to let go of it. */
export interface DaemonConnection {
  readonly client: ThinClient;
  /** True when talking to the embedded simulator. */
  readonly simulated: boolean;
  close(): Promise<void>;
}

/**
 * Connects to the daemon of `--config`, or — without it — starts an
 * embedded simulator in this process (time running at `timeScale`) so the
 * tool can be tried without a mixnet. Its boxes vanish when the process
 * exits: to pass files between two commands, run `kpsim` and point both at
 * it with `--config`.
 *
 * On `io.signal` the connection is closed (`thin_close`), which fails
 * whatever is pending and so stops the command.
 */
export async function connectDaemon(configPath: string | undefined, io: CliIo, timeScale = 0.01): Promise<DaemonConnection> {
  if (configPath !== undefined) {
    const config = await loadConfig(configPath);
    let client: ThinClient;
    try {
      client = await ThinClient.connect(config, { encryptionConnections: ENCRYPTION_CONNECTIONS });
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      throw new TransportError(`${error.message}: is kpclientd running, and is ${configPath} its thin-client configuration?`, { cause: error });
    }
    return withAbort({ client, simulated: false, close: () => client.close() }, io);
  }
  io.stderr(
    'pigeonhole-cp: no --config: using an embedded simulator (its boxes vanish when this command exits; ' +
      'for two terminals run `npx kpsim --write-config sim.toml` and pass --config sim.toml)\n',
  );
  const sim = await startSimulator({ timeScale });
  const client = await ThinClient.connect(sim.config, { encryptionConnections: ENCRYPTION_CONNECTIONS });
  return withAbort(
    {
      client,
      simulated: true,
      close: async () => {
        await client.close();
        await sim.close();
      },
    },
    io,
  );
}

function withAbort(connection: DaemonConnection, io: CliIo): DaemonConnection {
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= connection.close());
  io.signal?.addEventListener('abort', () => void close(), { once: true });
  return { ...connection, close };
}
