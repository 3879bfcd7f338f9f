/**
 * Persistent channels: a crash-safe channel layer over `ThinClient`
 * (browser-safe part; the file and SQLite stores are in `./node.js`).
 *
 * @packageDocumentation
 */
export { ChannelManager } from './channel-manager.js';
export type { RecoveryReport } from './channel-manager.js';
export { Channel } from './channel.js';
export type { PreparedSend } from './channel.js';
export type { ChannelManagerOptions } from './channel-layer.js';
export type { MessagesOptions } from './channel-messages.js';
export type { CopyItem } from './channel-arguments.js';
export type { ChannelStore, StoreTransaction } from './channel-store.js';
export { MemoryChannelStore } from './memory-channel-store.js';
export type {
  BoxWriteOperation,
  ChannelInfo,
  ChannelPatch,
  ChannelRecord,
  CopyOperation,
  HistoryQuery,
  NewOutboxEntry,
  OutboxEntry,
  OutboxSlot,
  PendingSend,
  ReceivedMessage,
  SentMessage,
} from './channel-types.js';
export type { DurabilityStep, DurabilityStepEvent } from './durability-step.js';
export { READ_CAPABILITY_PREFIX, encodeReadCapability, parseReadCapability } from './read-capability.js';
export type { SharedReadCapability } from './read-capability.js';
export {
  ChannelExistsError,
  ChannelNotFoundError,
  ChannelOutOfStepError,
  ChannelStoreError,
  OutboxDeliveryError,
  ReadCapabilityFormatError,
  ReadOnlyChannelError,
  StoreConflictError,
} from './channel-errors.js';
