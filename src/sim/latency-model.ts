import { InvalidArgumentError } from '../errors/local-errors.js';
import type { SimRandom } from './sim-random.js';

/**
 * The timing knobs of the simulated network, in *simulated* ms (the clock's
 * `timeScale` turns them into real time). The network defaults are the
 * docker network's configuration (DAEMON.md §8); the daemon's CPU costs
 * are measured on a real v0.0.99 network on two busy cores
 * (`npm run testnet -- calibrate`, README "The daemon simulator").
 *
 * @example
 * startSimulator({ latency: { slotMeanMs: 500 } });
 */
export interface LatencyOptions {
  /** Mean gap between λP send slots (1/LambdaP). Default 1000. */
  readonly slotMeanMs?: number;
  /** Mean per-hop mixing delay (1/Mu). Default 200. */
  readonly hopMeanMs?: number;
  /** Cap of one hop's delay. Default 5500. */
  readonly hopCapMs?: number;
  /** Extra real-world time per hop not counted in `reply_eta` (scheduler slack, links), drawn uniformly in [0, this]. Default 10. */
  readonly hopSlackMs?: number;
  /**
   * Mean courier ↔ replica round trip (uniform in [0, 2×mean]). Default 100 —
   * shorter than the real network's (whose replicas do CTIDH work too: a real
   * read often needs one more resend), because existing suites read the
   * boxes right after a write's ACK.
   */
  readonly replicaMeanMs?: number;
  /**
   * kpclientd's CPU time for one `encrypt_write` (CTIDH1024 MKEM). The daemon
   * runs it inline on the connection's reader: nothing else from that
   * connection is read meanwhile. Drawn uniformly in [0.7, 1.3] × this.
   * Default 2700 (measured median). 0 in fixed-latency mode.
   */
  readonly encryptWriteMs?: number;
  /** The same for `encrypt_read`. Default 3700 (measured median). */
  readonly encryptReadMs?: number;
  /**
   * kpclientd's CPU time to decrypt a read's reply (MKEM), on its one
   * ingress worker: decryptions of all clients queue behind each other.
   * Default 1000 (measured median).
   */
  readonly replyDecryptMs?: number;
  /**
   * Cores kpclientd's CPU work (the encryptions of every connection's
   * reader, the reply decryptions) shares. Default 2: this project's
   * machine, where the calibration was measured.
   */
  readonly daemonCores?: number;
}

/** One packet's timing: when it reaches the service, when its reply is back, and the `reply_eta` the daemon reports. */
export interface PathTiming {
  /** Sending → the service has it. */
  readonly forwardMs: number;
  /** The service replies → the reply reaches the daemon. */
  readonly returnMs: number;
  /** The Sphinx delays only: what the daemon reports as `reply_eta`. */
  readonly etaMs: number;
}

/**
 * Draws the delays of the simulated mixnet.
 *
 * Normal mode: the λP sender ticks after exponential gaps; a packet takes
 * `layers + 2` exponential hops out and `layers` back (`2L + 2` delays:
 * `reply_eta` ≈ 1.6 s in docker), each +1 ms and capped, plus a little
 * slack the ETA does not count.
 *
 * Fixed mode (`fixedLatencyMs` L): no send slots (requests leave as soon as
 * they are dispatchable), every round trip takes exactly L (L/2 each way),
 * and the replicas answer at once, so every mixnet operation completes in
 * exactly L — a repeatable setting for benchmarks.
 *
 * @example
 * const model = new LatencyModel(random, {}, 3);
 * model.path(true).etaMs; // ≈ 1600 on average
 */
export class LatencyModel {
  readonly slotMeanMs: number;
  private readonly hopMeanMs: number;
  private readonly hopCapMs: number;
  private readonly hopSlackMs: number;
  private readonly replicaMeanMs: number;
  private readonly encryptWriteMs: number;
  private readonly encryptReadMs: number;
  private readonly replyDecryptMs: number;
  /** Cores the daemon's CPU work shares (see `DaemonCpu`). */
  readonly daemonCores: number;

  constructor(
    private readonly random: SimRandom,
    options: LatencyOptions,
    private readonly layers: number,
    readonly fixedLatencyMs: number | undefined = undefined,
  ) {
    this.slotMeanMs = positive(options.slotMeanMs ?? 1000, 'slotMeanMs');
    this.hopMeanMs = positive(options.hopMeanMs ?? 200, 'hopMeanMs');
    this.hopCapMs = positive(options.hopCapMs ?? 5500, 'hopCapMs');
    this.hopSlackMs = nonNegative(options.hopSlackMs ?? 10, 'hopSlackMs');
    this.replicaMeanMs = nonNegative(options.replicaMeanMs ?? 100, 'replicaMeanMs');
    this.encryptWriteMs = nonNegative(options.encryptWriteMs ?? 2700, 'encryptWriteMs');
    this.encryptReadMs = nonNegative(options.encryptReadMs ?? 3700, 'encryptReadMs');
    this.replyDecryptMs = nonNegative(options.replyDecryptMs ?? 1000, 'replyDecryptMs');
    this.daemonCores = options.daemonCores ?? 2;
    if (!Number.isSafeInteger(this.daemonCores) || this.daemonCores < 1) throw new InvalidArgumentError('latency.daemonCores', 'must be a positive integer');
    if (fixedLatencyMs !== undefined) nonNegative(fixedLatencyMs, 'fixedLatencyMs');
  }

  /** True in fixed-latency mode. */
  get fixed(): boolean {
    return this.fixedLatencyMs !== undefined;
  }

  /** The gap until the next λP send slot. */
  slotGap(): number {
    return this.random.exponential(this.slotMeanMs);
  }

  /** Timing of one packet, with or without a reply path. */
  path(withReply: boolean): PathTiming {
    if (this.fixedLatencyMs !== undefined) {
      const half = this.fixedLatencyMs / 2;
      return withReply ? { forwardMs: half, returnMs: half, etaMs: this.fixedLatencyMs } : { forwardMs: half, returnMs: 0, etaMs: half };
    }
    let forward = 0;
    let back = 0;
    let eta = 0;
    for (let i = 0; i < this.layers + 2; i++) {
      const hop = this.hop();
      eta += hop;
      forward += hop + this.random.next() * this.hopSlackMs;
    }
    if (withReply) {
      for (let i = 0; i < this.layers; i++) {
        const hop = this.hop();
        eta += hop;
        back += hop + this.random.next() * this.hopSlackMs;
      }
    }
    return { forwardMs: forward, returnMs: back, etaMs: eta };
  }

  /** Courier ↔ replica round trip (0 in fixed mode). */
  replicaRoundTrip(): number {
    return this.fixed ? 0 : this.random.next() * 2 * this.replicaMeanMs;
  }

  /** kpclientd's CPU time for a local request (0 for all but the two encryptions; 0 in fixed mode). */
  localWork(request: string): number {
    if (this.fixed) return 0;
    if (request === 'encrypt_write') return this.cpu(this.encryptWriteMs);
    if (request === 'encrypt_read') return this.cpu(this.encryptReadMs);
    return 0;
  }

  /** kpclientd's CPU time to decrypt one read reply (0 in fixed mode). */
  replyDecrypt(): number {
    return this.fixed ? 0 : this.cpu(this.replyDecryptMs);
  }

  private cpu(meanMs: number): number {
    return meanMs * (0.7 + 0.6 * this.random.next());
  }

  private hop(): number {
    return Math.min(this.hopCapMs, this.random.exponential(this.hopMeanMs) + 1);
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError(`latency.${name}`, 'must be a positive number');
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new InvalidArgumentError(name, 'must be a non-negative number');
  return value;
}
