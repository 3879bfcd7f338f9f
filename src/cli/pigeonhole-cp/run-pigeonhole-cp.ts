import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import { KatzenpostError } from '../../errors/katzenpost-error.js';
import type { CliIo, CommandContext } from './cli-io.js';
import { connectDaemon, type DaemonConnection } from './connect-daemon.js';
import { encodeReadCapability } from '../../channels/read-capability.js';
import { MAX_TIMEOUT_MS } from '../../client/validate-options.js';
import { genkey, share } from './genkey.js';
import { acceptInvite, inviteSender } from './invite-accept.js';
import { parseInvite } from '../../client/contacts/invite-code.js';
import { resync } from './resync.js';
import { loadKeyFile } from './key-file.js';
import { receiveFiles } from './receive-files.js';
import { destinationDirectory } from './safe-file-writer.js';
import { checkSendable, sendFile } from './send-file.js';

interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly progress: boolean;
  readonly simTimeScale: number;
  /** Seconds. */
  readonly daemonTimeout: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new CommanderArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderArgumentError('expected a positive number');
  return n;
}

/**
 * The `pigeonhole-cp` program minus process wiring: parses `argv`
 * (commander), runs the command, and returns the exit code — 0 success,
 * 1 failure, 2 usage error, 130 interrupted.
 *
 * @example
 * const code = await runPigeonholeCp(['send', 'report.pdf', '--key', 'alice.key', '--config', 'sim.toml'], io);
 */
export async function runPigeonholeCp(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('pigeonhole-cp')
    .description('Send and receive files over Katzenpost Pigeonhole channels (with progress and a BLAKE2b-256 integrity check).')
    .option('--config <file>', 'thinclient.toml of the daemon to use (default: an embedded simulator, for trying it out)')
    .option('--json', 'machine-readable output: JSON lines on stdout')
    .option('--no-progress', 'no progress display')
    .addOption(new Option('--sim-time-scale <x>', 'embedded simulator: real ms per simulated ms').argParser(positiveNumber).default(0.01).hideHelp())
    .addOption(
      new Option('--daemon-timeout <seconds>', 'give up (resumably: run the command again) after this long without the daemon').argParser(positiveNumber).default(120),
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  const context = (command: Command): { ctx: CommandContext; global: GlobalOptions; daemonTimeoutMs: number } => {
    const global = command.optsWithGlobals<GlobalOptions>();
    return { ctx: { io, json: global.json === true, progress: global.progress }, global, daemonTimeoutMs: Math.min(global.daemonTimeout * 1000, MAX_TIMEOUT_MS) };
  };
  const withDaemon = async (command: Command, run: (ctx: CommandContext, connection: DaemonConnection) => Promise<void>): Promise<void> => {
    const { ctx, global } = context(command);
    const connection = await connectDaemon(global.config, io, global.simTimeScale);
    try {
      await run(ctx, connection);
    } finally {
      await connection.close();
    }
  };

  program
    .command('genkey')
    .description('create a channel: write its key file (secret) and print the read capability to share')
    .requiredOption('--key <file>', 'key file to create (must not exist)')
    .action(async (options: { key: string }, command: Command) => {
      await withDaemon(command, (ctx, { client }) => genkey(ctx, client, options.key));
    });

  program
    .command('share')
    .description("print a key file's read capability string again")
    .requiredOption('--key <file>', 'the key file')
    .addOption(new Option('--from <where>', 'where readers start: the first file, or the next one').choices(['first', 'next']).default('first'))
    .action(async (options: { key: string; from: 'first' | 'next' }, command: Command) => {
      await share(context(command).ctx, options.key, options.from);
    });

  program
    .command('send')
    .description("send a file to the channel of a key file (resume an interrupted send by running it again)")
    .argument('<file>', 'the file to send')
    .requiredOption('--key <file>', 'the key file (from genkey)')
    .option('--window <n>', 'boxes written concurrently', positiveInt, 8)
    .action(async (file: string, options: { key: string; window: number }, command: Command) => {
      const { daemonTimeoutMs } = context(command);
      await checkSendable(file, options.key);
      await withDaemon(command, (ctx, { client }) => sendFile(ctx, client, file, { keyPath: options.key, window: options.window, daemonTimeoutMs }));
    });

  program
    .command('resync')
    .description("move a key file's index past the boxes the channel already holds (after a StaleKeyFileError)")
    .requiredOption('--key <file>', 'the key file')
    .action(async (options: { key: string }, command: Command) => {
      await withDaemon(command, (ctx, { client }) => resync(ctx, client, options.key));
    });

  program
    .command('receive')
    .description('receive files from a channel into a directory, continuing where the last run stopped')
    .argument('<dir>', 'destination directory')
    .requiredOption('--cap <kprx1>', 'the read capability string (kprx1:…)')
    .option('--state <file>', 'read position file (default: in <dir>, named after the channel)')
    .option('--count <n>', 'files to receive before exiting', positiveInt, 1)
    .option('--window <n>', 'boxes read concurrently (a read needs two daemon slots and round trips where a write needs one: more in flight than send)', positiveInt, 16)
    .option('--skip-bad', 'step past a stream that is not a pigeonhole-cp file, or is damaged, instead of stopping')
    .action(async (dir: string, options: { cap: string; state?: string; count: number; window: number; skipBad?: boolean }, command: Command) => {
      const { daemonTimeoutMs } = context(command);
      await destinationDirectory(dir);
      await withDaemon(command, (ctx, { client }) =>
        receiveFiles(ctx, client, dir, {
          cap: options.cap,
          count: options.count,
          window: options.window,
          skipBad: options.skipBad === true,
          daemonTimeoutMs,
          ...(options.state !== undefined ? { statePath: options.state } : {}),
        }),
      );
    });

  program
    .command('invite')
    .description('receiver: invite a sender without exchanging raw capabilities — print an invite, wait for the answer, print the read capability to receive with')
    .requiredOption('--pending <file>', 'pending invite file (secret; created, or resumed if it exists — run the same command again to keep waiting)')
    .option('--name <name>', 'your name, as the sender sees it', 'receiver')
    .action(async (options: { pending: string; name: string }, command: Command) => {
      await withDaemon(command, (ctx, { client }) => inviteSender(ctx, client, options.pending, options.name));
    });

  program
    .command('accept')
    .description("sender: answer a receiver's invite with a key file's channel (from its next file on)")
    .argument('<invite>', 'the invite string (kprxinvite1:…)')
    .requiredOption('--key <file>', 'the key file (from genkey)')
    .option('--name <name>', 'your name, as the receiver sees it', 'sender')
    .action(async (invite: string, options: { key: string; name: string }, command: Command) => {
      // A mistyped invite or a missing key file is named before any daemon is dialled.
      parseInvite(invite);
      await loadKeyFile(options.key);
      await withDaemon(command, (ctx, { client }) => acceptInvite(ctx, client, invite, options.key, options.name));
    });

  program
    .command('demo')
    .description('try it in one process: new channel, send <file>, receive it into <dir> (embedded simulator unless --config)')
    .argument('<file>', 'the file to send')
    .argument('<dir>', 'destination directory')
    .action(async (file: string, dir: string, _options: unknown, command: Command) => {
      await withDaemon(command, async (ctx, { client }) => {
        const work = await mkdtemp(join(tmpdir(), 'pigeonhole-cp-demo-'));
        try {
          const key = join(work, 'demo.key');
          await genkey(ctx, client, key);
          const keys = await loadKeyFile(key);
          const { daemonTimeoutMs } = context(command);
          await sendFile(ctx, client, file, { keyPath: key, window: 8, daemonTimeoutMs });
          await receiveFiles(ctx, client, dir, {
            cap: encodeReadCapability({ readCap: keys.readCap, startIndex: keys.firstIndex }),
            count: 1,
            window: 16,
            skipBad: false,
            daemonTimeoutMs,
            statePath: join(work, 'state.json'),
          });
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors 2 (commander already printed them).
      exitCode = error.exitCode === 0 ? 0 : 2;
    } else if (io.signal?.aborted) {
      io.stderr('pigeonhole-cp: interrupted\n');
      exitCode = 130;
    } else {
      io.stderr(`pigeonhole-cp: ${describe(error)}\n`);
      if (program.opts<GlobalOptions>().json === true) io.stdout(`${JSON.stringify({ event: 'error', error: describe(error) })}\n`);
      exitCode = 1;
    }
  }
  return exitCode;
}

function describe(error: unknown): string {
  // SDK error messages never contain capabilities or plaintexts.
  if (error instanceof KatzenpostError) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
