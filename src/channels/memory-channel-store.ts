import { ChannelStoreError } from './channel-errors.js';
import type { ChannelStore, StoreTransaction } from './channel-store.js';
import { EMPTY_STORE_STATE, StateTransaction, type StoreState } from './store-state.js';

/**
 * Runs a synchronous transaction body against a state and returns the
 * result with the next state; rejects bodies that return a Promise (they
 * would escape the transaction).
 */
export function runStateTransaction<T>(state: StoreState, fn: (tx: StoreTransaction) => T): { value: T; next: StoreState; dirty: boolean } {
  const tx = new StateTransaction(state);
  const value = fn(tx);
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    throw new ChannelStoreError('a transaction body must be synchronous (it returned a Promise); do the async work before or after the transaction');
  }
  return { value, next: tx.result(), dirty: tx.dirty };
}

/**
 * A {@link ChannelStore} in memory, for tests and throwaway sessions:
 * transactional like the others (a throwing body changes nothing), durable
 * only as long as the process lives.
 *
 * @example
 * const manager = new ChannelManager(client, new MemoryChannelStore());
 */
export class MemoryChannelStore implements ChannelStore {
  private state: StoreState = EMPTY_STORE_STATE;
  private closed = false;

  /** {@inheritDoc ChannelStore.transaction} */
  transaction<T>(fn: (tx: StoreTransaction) => T): Promise<T> {
    if (this.closed) return Promise.reject(new ChannelStoreError('the store is closed'));
    try {
      const { value, next } = runStateTransaction(this.state, fn);
      this.state = next;
      return Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
