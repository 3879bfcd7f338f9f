import type { DaemonError, DaemonErrorContext } from './daemon-error.js';
import * as replica from './replica-errors.js';
import * as thin from './thin-client-errors.js';

type ErrorClass = { readonly code: number; new (context?: DaemonErrorContext): DaemonError };

function tableOf(module: Record<string, unknown>): ReadonlyMap<number, ErrorClass> {
  const table = new Map<number, ErrorClass>();
  for (const value of Object.values(module)) {
    const cls = value as Partial<ErrorClass>;
    if (typeof value === 'function' && typeof cls.code === 'number' && cls.code !== 26) table.set(cls.code, cls as ErrorClass);
  }
  return table;
}

const thinClientTable = tableOf(thin);
const replicaTable = tableOf(replica);

/** The error for a code of the daemon's own namespace (PROTOCOL.md §7.1). */
export function thinClientErrorFor(code: number, context?: DaemonErrorContext): DaemonError {
  const cls = thinClientTable.get(code);
  if (cls) return new cls(context);
  if (code === 26) return new thin.CopyCommandFailedError({ replicaErrorCode: 0, failedEnvelopeIndex: 0n }, context);
  return new thin.ThinClientError(code, 'unknown daemon error code', context);
}

/** The error for a replica code (PROTOCOL.md §7.2). */
export function replicaErrorFor(code: number, context?: DaemonErrorContext): DaemonError {
  const cls = replicaTable.get(code);
  return cls ? new cls(context) : new replica.ReplicaError(code, 'unknown replica error code', context);
}

/**
 * The error for `start_resending_encrypted_message_reply.error_code`, whose
 * field mixes namespaces (PROTOCOL.md §7.3): replica codes 1–11 pass through,
 * the daemon's codes 12, 13 and 22–32 share the field. Codes 3 and 4 are
 * ambiguous; like all reference clients we report them as the replica
 * errors, and say so in the message.
 */
export function startResendingErrorFor(code: number, context: DaemonErrorContext = {}): DaemonError {
  if (code === 3 || code === 4) {
    const other = code === 3 ? 'the daemon rejecting the request (InvalidRequest)' : 'a daemon internal error (InternalError, e.g. no PKI document)';
    return replicaErrorFor(code, { ...context, detail: `ambiguous code: may also be ${other}` });
  }
  if (code >= 1 && code <= 11) return replicaErrorFor(code, context);
  return thinClientErrorFor(code, context);
}

/**
 * The error for a failed `start_resending_copy_command_reply`: code 26 keeps
 * the replica code (as `cause`) and the failed envelope index; any other
 * code is of the daemon's own namespace (Go `copyCommandError`).
 */
export function copyCommandErrorFor(
  reply: { readonly errorCode: number; readonly replicaErrorCode: number; readonly failedEnvelopeIndex: bigint },
  context: DaemonErrorContext = {},
): DaemonError {
  if (reply.errorCode !== 26) return thinClientErrorFor(reply.errorCode, context);
  const replicaError = reply.replicaErrorCode !== 0 ? replicaErrorFor(reply.replicaErrorCode, context) : undefined;
  return new thin.CopyCommandFailedError(
    {
      replicaErrorCode: reply.replicaErrorCode,
      failedEnvelopeIndex: reply.failedEnvelopeIndex,
      ...(replicaError ? { replicaError } : {}),
    },
    context,
  );
}
