import { DaemonError, type DaemonErrorContext } from './daemon-error.js';

/**
 * Error codes of the daemon's own namespace (`client/thin/thin_messages.go`,
 * PROTOCOL.md §7.1), one class per code. Codes marked "defined, not emitted"
 * by PROTOCOL.md still get a class so that every code maps to one.
 */
export class ThinClientError extends DaemonError {
  readonly namespace = 'thin-client' as const;
  readonly codeName: string = 'Unknown';
  override readonly name: string = 'ThinClientError';
}

/** Courier envelope errors, remapped by the daemon into codes 12, 13, 31 and 32. */
export class CourierError extends ThinClientError {
  override readonly name: string = 'CourierError';
}

/** Code 1: ConnectionLost. */
export class DaemonConnectionLostError extends ThinClientError {
  static readonly code = 1;
  override readonly name = 'DaemonConnectionLostError';
  override readonly codeName = 'ConnectionLost';
  constructor(context?: DaemonErrorContext) {
    super(1, 'the daemon reported a lost connection', context);
  }
}

/** Code 2: Timeout. */
export class DaemonTimeoutError extends ThinClientError {
  static readonly code = 2;
  override readonly name = 'DaemonTimeoutError';
  override readonly codeName = 'Timeout';
  constructor(context?: DaemonErrorContext) {
    super(2, 'the daemon reported a timeout', context);
  }
}

/** Code 3: InvalidRequest. */
export class InvalidRequestError extends ThinClientError {
  static readonly code = 3;
  override readonly name = 'InvalidRequestError';
  override readonly codeName = 'InvalidRequest';
  constructor(context?: DaemonErrorContext) {
    super(3, 'the daemon rejected the request as invalid', context);
  }
}

/** Code 4: InternalError. */
export class DaemonInternalError extends ThinClientError {
  static readonly code = 4;
  override readonly name = 'DaemonInternalError';
  override readonly codeName = 'InternalError';
  constructor(context?: DaemonErrorContext) {
    super(4, 'the daemon failed internally (e.g. no PKI document, no courier)', context);
  }
}

/** Code 5: MaxRetries. */
export class MaxRetriesError extends ThinClientError {
  static readonly code = 5;
  override readonly name = 'MaxRetriesError';
  override readonly codeName = 'MaxRetries';
  constructor(context?: DaemonErrorContext) {
    super(5, 'maximum retries exceeded', context);
  }
}

/** Code 6: InvalidChannel. */
export class InvalidChannelError extends ThinClientError {
  static readonly code = 6;
  override readonly name = 'InvalidChannelError';
  override readonly codeName = 'InvalidChannel';
  constructor(context?: DaemonErrorContext) {
    super(6, 'invalid channel', context);
  }
}

/** Code 7: ChannelNotFound. */
export class DaemonChannelNotFoundError extends ThinClientError {
  static readonly code = 7;
  override readonly name = 'DaemonChannelNotFoundError';
  override readonly codeName = 'ChannelNotFound';
  constructor(context?: DaemonErrorContext) {
    super(7, 'channel not found', context);
  }
}

/** Code 8: PermissionDenied. */
export class PermissionDeniedError extends ThinClientError {
  static readonly code = 8;
  override readonly name = 'PermissionDeniedError';
  override readonly codeName = 'PermissionDenied';
  constructor(context?: DaemonErrorContext) {
    super(8, 'permission denied', context);
  }
}

/** Code 9: InvalidPayload. */
export class DaemonInvalidPayloadError extends ThinClientError {
  static readonly code = 9;
  override readonly name = 'DaemonInvalidPayloadError';
  override readonly codeName = 'InvalidPayload';
  constructor(context?: DaemonErrorContext) {
    super(9, 'invalid payload', context);
  }
}

/** Code 10: ServiceUnavailable. */
export class ServiceUnavailableError extends ThinClientError {
  static readonly code = 10;
  override readonly name = 'ServiceUnavailableError';
  override readonly codeName = 'ServiceUnavailable';
  constructor(context?: DaemonErrorContext) {
    super(10, 'the requested service or document is unavailable', context);
  }
}

/** Code 11: DuplicateCapability. */
export class DuplicateCapabilityError extends ThinClientError {
  static readonly code = 11;
  override readonly name = 'DuplicateCapabilityError';
  override readonly codeName = 'DuplicateCapability';
  constructor(context?: DaemonErrorContext) {
    super(11, 'duplicate capability', context);
  }
}

/** Code 12: CourierCacheCorruption. */
export class CourierCacheCorruptionError extends CourierError {
  static readonly code = 12;
  override readonly name = 'CourierCacheCorruptionError';
  override readonly codeName = 'CourierCacheCorruption';
  constructor(context?: DaemonErrorContext) {
    super(12, 'the courier detected cache corruption', context);
  }
}

/** Code 13: PropagationError. */
export class CourierPropagationError extends CourierError {
  static readonly code = 13;
  override readonly name = 'CourierPropagationError';
  override readonly codeName = 'PropagationError';
  constructor(context?: DaemonErrorContext) {
    super(13, 'the courier could not propagate the request to the replicas', context);
  }
}

/** Code 14: InvalidWriteCapability. */
export class InvalidWriteCapabilityError extends ThinClientError {
  static readonly code = 14;
  override readonly name = 'InvalidWriteCapabilityError';
  override readonly codeName = 'InvalidWriteCapability';
  constructor(context?: DaemonErrorContext) {
    super(14, 'invalid write capability', context);
  }
}

/** Code 15: InvalidReadCapability. */
export class InvalidReadCapabilityError extends ThinClientError {
  static readonly code = 15;
  override readonly name = 'InvalidReadCapabilityError';
  override readonly codeName = 'InvalidReadCapability';
  constructor(context?: DaemonErrorContext) {
    super(15, 'invalid read capability', context);
  }
}

/** Code 16: InvalidResumeWriteChannelRequest. */
export class InvalidResumeWriteChannelRequestError extends ThinClientError {
  static readonly code = 16;
  override readonly name = 'InvalidResumeWriteChannelRequestError';
  override readonly codeName = 'InvalidResumeWriteChannelRequest';
  constructor(context?: DaemonErrorContext) {
    super(16, 'invalid resume-write-channel request', context);
  }
}

/** Code 17: InvalidResumeReadChannelRequest. */
export class InvalidResumeReadChannelRequestError extends ThinClientError {
  static readonly code = 17;
  override readonly name = 'InvalidResumeReadChannelRequestError';
  override readonly codeName = 'InvalidResumeReadChannelRequest';
  constructor(context?: DaemonErrorContext) {
    super(17, 'invalid resume-read-channel request', context);
  }
}

/** Code 18: ImpossibleHashError. */
export class ImpossibleHashError extends ThinClientError {
  static readonly code = 18;
  override readonly name = 'ImpossibleHashError';
  override readonly codeName = 'ImpossibleHashError';
  constructor(context?: DaemonErrorContext) {
    super(18, 'impossible hash', context);
  }
}

/** Code 19: ImpossibleNewWriteCapError. */
export class ImpossibleNewWriteCapError extends ThinClientError {
  static readonly code = 19;
  override readonly name = 'ImpossibleNewWriteCapError';
  override readonly codeName = 'ImpossibleNewWriteCapError';
  constructor(context?: DaemonErrorContext) {
    super(19, 'could not create a new write capability', context);
  }
}

/** Code 20: ImpossibleNewStatefulWriterError. */
export class ImpossibleNewStatefulWriterError extends ThinClientError {
  static readonly code = 20;
  override readonly name = 'ImpossibleNewStatefulWriterError';
  override readonly codeName = 'ImpossibleNewStatefulWriterError';
  constructor(context?: DaemonErrorContext) {
    super(20, 'could not create a new stateful writer', context);
  }
}

/** Code 21: CapabilityAlreadyInUse. */
export class CapabilityAlreadyInUseError extends ThinClientError {
  static readonly code = 21;
  override readonly name = 'CapabilityAlreadyInUseError';
  override readonly codeName = 'CapabilityAlreadyInUse';
  constructor(context?: DaemonErrorContext) {
    super(21, 'capability already in use', context);
  }
}

/** Code 22: MKEMDecryptionFailed. */
export class MKEMDecryptionFailedError extends ThinClientError {
  static readonly code = 22;
  override readonly name = 'MKEMDecryptionFailedError';
  override readonly codeName = 'MKEMDecryptionFailed';
  constructor(context?: DaemonErrorContext) {
    super(22, 'the reply could not be decrypted with any replica key (MKEM)', context);
  }
}

/** Code 23: BACAPDecryptionFailed. */
export class BACAPDecryptionFailedError extends ThinClientError {
  static readonly code = 23;
  override readonly name = 'BACAPDecryptionFailedError';
  override readonly codeName = 'BACAPDecryptionFailed';
  constructor(context?: DaemonErrorContext) {
    super(23, 'BACAP decryption or verification failed (wrong capability or box index?)', context);
  }
}

/** Code 24: StartResendingCancelled. */
export class StartResendingCancelledError extends ThinClientError {
  static readonly code = 24;
  override readonly name = 'StartResendingCancelledError';
  override readonly codeName = 'StartResendingCancelled';
  constructor(context?: DaemonErrorContext) {
    super(24, 'the operation was cancelled', context);
  }
}

/** Code 25: InvalidTombstoneSig. */
export class InvalidTombstoneSignatureError extends ThinClientError {
  static readonly code = 25;
  override readonly name = 'InvalidTombstoneSignatureError';
  override readonly codeName = 'InvalidTombstoneSig';
  constructor(context?: DaemonErrorContext) {
    super(25, 'a replica claimed a tombstone whose signature does not verify', context);
  }
}

/** Code 27: PayloadTooLarge. */
export class PayloadTooLargeError extends ThinClientError {
  static readonly code = 27;
  override readonly name = 'PayloadTooLargeError';
  override readonly codeName = 'PayloadTooLarge';
  constructor(context?: DaemonErrorContext) {
    super(27, 'the payload is too large', context);
  }
}

/** Code 28: VoucherHashMismatch. */
export class VoucherHashMismatchError extends ThinClientError {
  static readonly code = 28;
  override readonly name = 'VoucherHashMismatchError';
  override readonly codeName = 'VoucherHashMismatch';
  constructor(context?: DaemonErrorContext) {
    super(28, 'the voucher payload does not hash to the voucher', context);
  }
}

/** Code 29: VoucherSignatureInvalid. */
export class VoucherSignatureInvalidError extends ThinClientError {
  static readonly code = 29;
  override readonly name = 'VoucherSignatureInvalidError';
  override readonly codeName = 'VoucherSignatureInvalid';
  constructor(context?: DaemonErrorContext) {
    super(29, 'the voucher signature is invalid', context);
  }
}

/** Code 30: VoucherSealOpenFailed. */
export class VoucherSealOpenFailedError extends ThinClientError {
  static readonly code = 30;
  override readonly name = 'VoucherSealOpenFailedError';
  override readonly codeName = 'VoucherSealOpenFailed';
  constructor(context?: DaemonErrorContext) {
    super(30, 'the sealed voucher reply could not be opened', context);
  }
}

/** Code 31: CourierInvalidEnvelope. */
export class CourierInvalidEnvelopeError extends CourierError {
  static readonly code = 31;
  override readonly name = 'CourierInvalidEnvelopeError';
  override readonly codeName = 'CourierInvalidEnvelope';
  constructor(context?: DaemonErrorContext) {
    super(31, 'the courier rejected the envelope', context);
  }
}

/** Code 32: CourierInvalidEpoch. */
export class CourierInvalidEpochError extends CourierError {
  static readonly code = 32;
  override readonly name = 'CourierInvalidEpochError';
  override readonly codeName = 'CourierInvalidEpoch';
  constructor(context?: DaemonErrorContext) {
    super(32, 'the courier rejected the envelope epoch (prepared envelopes go stale after about a week)', context);
  }
}
/**
 * Code 26: CopyCommandFailed — the courier reported that a copy command
 * failed. Envelopes written before the failure stay written (copies are not
 * transactional on failure, DAEMON.md §4.1).
 */
export class CopyCommandFailedError extends ThinClientError {
  static readonly code = 26;
  override readonly name = 'CopyCommandFailedError';
  override readonly codeName = 'CopyCommandFailed';
  /** The replica's code (replica namespace), 0 when the failure was not a replica's. */
  readonly replicaErrorCode: number;
  /** 1-based position of the failed envelope in the copy stream; 0 when not applicable. */
  readonly failedEnvelopeIndex: bigint;

  constructor(
    details: { replicaErrorCode: number; failedEnvelopeIndex: bigint; replicaError?: Error },
    context: DaemonErrorContext = {},
  ) {
    const detail =
      details.replicaErrorCode === 0
        ? `no replica error, failed envelope index ${details.failedEnvelopeIndex}`
        : `replica code ${details.replicaErrorCode}, failed envelope index ${details.failedEnvelopeIndex}`;
    super(26, 'the courier reported that the copy command failed', {
      ...context,
      detail: context.detail ? `${detail}; ${context.detail}` : detail,
    });
    this.replicaErrorCode = details.replicaErrorCode;
    this.failedEnvelopeIndex = details.failedEnvelopeIndex;
    if (details.replicaError) Object.defineProperty(this, 'cause', { value: details.replicaError, enumerable: false });
  }
}
