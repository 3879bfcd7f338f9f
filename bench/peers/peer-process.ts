import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One reply line of the peer protocol (see `bench/peers/go/main.go`). */
interface PeerReply {
  readonly ready?: boolean;
  readonly ms?: number;
  readonly count?: number;
  readonly error?: string;
}

/**
 * A peer thin client (Python or Go) in a child process, speaking the
 * benchmark's JSON-lines protocol: it prints `{"ready":true}` once its
 * handshake with the daemon is done, then runs `run` commands one at a
 * time. One process = one daemon connection (on the real kpclientd each
 * connection costs 30 s, so a peer connects once and runs every round).
 *
 * @example
 * const peer = PeerProcess.spawn('python', python, [script, tomlPath]);
 * await peer.ready(60_000);
 * const ms = await peer.run({ count: 2000, inFlight: 64, index: hex }, 60_000);
 */
export class PeerProcess {
  private readonly replies: PeerReply[] = [];
  private waiter: (() => void) | null = null;
  private stderrTail = '';
  private exited = false;

  /** Everything the peer wrote to stderr since the last `run` (kept whole for goroutine dumps, up to 4 MB). */
  private stderrAll = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** Sent when a run times out instead of SIGKILL (Go: SIGQUIT prints every goroutine's stack). */
    private readonly timeoutSignal: NodeJS.Signals,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.replies.push(JSON.parse(line) as PeerReply);
      } catch {
        this.stderrTail = (this.stderrTail + `stdout: ${line}\n`).slice(-2000);
      }
      this.wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      if (this.stderrAll.length < 4_000_000) this.stderrAll += text;
    });
    child.on('exit', () => {
      this.exited = true;
      this.wake();
    });
    child.on('error', (error) => {
      this.stderrTail += String(error);
      this.exited = true;
      this.wake();
    });
  }

  /** The peer's process id (for its CPU time). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  static spawn(name: string, command: string, args: readonly string[], options: { timeoutSignal?: NodeJS.Signals } = {}): PeerProcess {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    return new PeerProcess(name, child, options.timeoutSignal ?? 'SIGKILL');
  }

  /** What the peer wrote to stderr during the last `run` (e.g. a goroutine dump after a timeout). */
  get lastStderr(): string {
    return this.stderrAll;
  }

  /** Resolves once the peer's handshake is done. */
  async ready(timeoutMs: number): Promise<void> {
    const reply = await this.next(timeoutMs);
    if (!reply.ready) throw new Error(`${this.name}: ${reply.error ?? 'not ready'}`);
  }

  /** Runs `count` requests with `inFlight` in flight; resolves the peer's own wall time in ms. */
  run(command: { count: number; inFlight: number; index: string }, timeoutMs: number): Promise<number> {
    return this.timedCommand({ cmd: 'run', ...command }, timeoutMs);
  }

  /** Writes one box of `size` random bytes to a new channel and reads it back (R2); resolves the peer's wall time in ms. */
  pigeonholeRoundTrip(size: number, timeoutMs: number): Promise<number> {
    return this.timedCommand({ cmd: 'pigeonhole', size }, timeoutMs);
  }

  private async timedCommand(command: Record<string, unknown>, timeoutMs: number): Promise<number> {
    this.stderrAll = '';
    this.child.stdin!.write(JSON.stringify(command) + '\n');
    const reply = await this.next(timeoutMs);
    if (reply.ms === undefined) throw new Error(`${this.name}: ${reply.error ?? 'no result'}`);
    return reply.ms;
  }

  /** Asks the peer to close its client and exit; kills it if it does not within 5 s. */
  async quit(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    const deadline = Date.now() + 5000;
    while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!this.exited) this.kill();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private async next(timeoutMs: number): Promise<PeerReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.replies.shift();
      if (reply) return reply;
      if (this.exited) throw new Error(`${this.name} exited: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        if (!this.exited) this.child.kill(this.timeoutSignal);
        // Let a dump (SIGQUIT) reach us before the process is gone.
        await new Promise<void>((resolve) => (this.exited ? resolve() : this.child.once('exit', () => resolve())));
        throw new Error(`${this.name}: no answer within ${Math.round(timeoutMs / 1000)} s (stopped with ${this.timeoutSignal})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  private wake(): void {
    this.waiter?.();
  }
}
