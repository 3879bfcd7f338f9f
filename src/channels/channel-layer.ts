import type { ThinClient } from '../client/thin-client.js';
import { cryptoRandom, type RandomSource } from '../core/random-source.js';
import { ChannelJournal } from './channel-journal.js';
import { ChannelLocks } from './channel-locks.js';
import type { ChannelStore } from './channel-store.js';
import { ChannelTransmitter } from './channel-transmitter.js';
import type { DurabilityStepEvent } from './durability-step.js';
import { OutboxPreparer } from './outbox-preparer.js';

/** Options of a `ChannelManager`. */
export interface ChannelManagerOptions {
  /**
   * Called — and awaited — at every durability step (see
   * `DurabilityStep`): for tracing, metrics, and the crash tests, which
   * stop the process there. Never given secrets.
   */
  readonly onStep?: (event: DurabilityStepEvent) => void | Promise<void>;
  /** Clock for the stored timestamps (default `Date.now`). */
  readonly now?: () => number;
  /** Randomness for channel and temporary-channel seeds (default: the CSPRNG). */
  readonly random?: RandomSource;
  /**
   * Write the first box of each channel strictly, failing with
   * `ChannelOutOfStepError` if it holds other content (default true). Only
   * for comparisons with upstream's behaviour: false writes every box
   * idempotently, so a store behind its channel loses messages silently.
   */
  readonly verifyNextBox?: boolean;
}

/**
 * @internal The parts a `ChannelManager` and its `Channel` handles share,
 * over one client and one store: the journal (store and durability steps),
 * the preparer (encrypt and queue) and the transmitter (send and commit).
 */
export class ChannelLayer {
  readonly journal: ChannelJournal;
  readonly locks = new ChannelLocks();
  readonly preparer: OutboxPreparer;
  readonly transmitter: ChannelTransmitter;
  readonly random: RandomSource;

  constructor(
    readonly client: ThinClient,
    store: ChannelStore,
    options: ChannelManagerOptions,
  ) {
    this.random = options.random ?? cryptoRandom;
    this.journal = new ChannelJournal(store, { now: options.now ?? Date.now, ...(options.onStep ? { onStep: options.onStep } : {}) });
    this.preparer = new OutboxPreparer(client, this.journal, this.locks, this.random);
    this.transmitter = new ChannelTransmitter(client, this.journal, { verifyNextBox: options.verifyNextBox !== false, random: this.random });
  }
}
