import { DaemonError, type DaemonErrorContext } from './daemon-error.js';

/**
 * Replica error codes (`pigeonhole/errors.go`, PROTOCOL.md §7.2), passed
 * through unchanged by the daemon in `start_resending_encrypted_message_reply`
 * and reported as `replica_error_code` of a failed copy command.
 */
export class ReplicaError extends DaemonError {
  readonly namespace = 'replica' as const;
  readonly codeName: string = 'Unknown';
  override readonly name: string = 'ReplicaError';
}

/** Replica code 1: BoxIDNotFound. */
export class BoxIDNotFoundError extends ReplicaError {
  static readonly code = 1;
  override readonly name = 'BoxIDNotFoundError';
  override readonly codeName = 'BoxIDNotFound';
  constructor(context?: DaemonErrorContext) {
    super(1, 'the box has not been written yet', context);
  }
}

/** Replica code 2: InvalidBoxID. */
export class InvalidBoxIDError extends ReplicaError {
  static readonly code = 2;
  override readonly name = 'InvalidBoxIDError';
  override readonly codeName = 'InvalidBoxID';
  constructor(context?: DaemonErrorContext) {
    super(2, 'invalid box ID', context);
  }
}

/** Replica code 3: InvalidSignature. */
export class InvalidSignatureError extends ReplicaError {
  static readonly code = 3;
  override readonly name = 'InvalidSignatureError';
  override readonly codeName = 'InvalidSignature';
  constructor(context?: DaemonErrorContext) {
    super(3, 'the replica rejected the box signature', context);
  }
}

/** Replica code 4: DatabaseFailure. */
export class DatabaseFailureError extends ReplicaError {
  static readonly code = 4;
  override readonly name = 'DatabaseFailureError';
  override readonly codeName = 'DatabaseFailure';
  constructor(context?: DaemonErrorContext) {
    super(4, 'the replica database failed', context);
  }
}

/** Replica code 5: InvalidPayload. */
export class InvalidPayloadError extends ReplicaError {
  static readonly code = 5;
  override readonly name = 'InvalidPayloadError';
  override readonly codeName = 'InvalidPayload';
  constructor(context?: DaemonErrorContext) {
    super(5, 'the replica rejected the payload', context);
  }
}

/** Replica code 6: StorageFull. */
export class StorageFullError extends ReplicaError {
  static readonly code = 6;
  override readonly name = 'StorageFullError';
  override readonly codeName = 'StorageFull';
  constructor(context?: DaemonErrorContext) {
    super(6, 'the replica storage is full', context);
  }
}

/** Replica code 7: InternalError. */
export class ReplicaInternalError extends ReplicaError {
  static readonly code = 7;
  override readonly name = 'ReplicaInternalError';
  override readonly codeName = 'InternalError';
  constructor(context?: DaemonErrorContext) {
    super(7, 'the replica failed internally', context);
  }
}

/** Replica code 8: InvalidEpoch. */
export class InvalidEpochError extends ReplicaError {
  static readonly code = 8;
  override readonly name = 'InvalidEpochError';
  override readonly codeName = 'InvalidEpoch';
  constructor(context?: DaemonErrorContext) {
    super(8, 'the replica rejected the epoch', context);
  }
}

/** Replica code 9: ReplicationFailed. */
export class ReplicationFailedError extends ReplicaError {
  static readonly code = 9;
  override readonly name = 'ReplicationFailedError';
  override readonly codeName = 'ReplicationFailed';
  constructor(context?: DaemonErrorContext) {
    super(9, 'replication failed', context);
  }
}

/** Replica code 10: BoxAlreadyExists. */
export class BoxAlreadyExistsError extends ReplicaError {
  static readonly code = 10;
  override readonly name = 'BoxAlreadyExistsError';
  override readonly codeName = 'BoxAlreadyExists';
  constructor(context?: DaemonErrorContext) {
    super(10, 'the box already holds different content', context);
  }
}

/** Replica code 11: Tombstone. */
export class TombstoneError extends ReplicaError {
  static readonly code = 11;
  override readonly name = 'TombstoneError';
  override readonly codeName = 'Tombstone';
  constructor(context?: DaemonErrorContext) {
    super(11, 'the box has been tombstoned', context);
  }
}
