import { thinClientErrorFor } from '../../errors/error-for-code.js';
import { ProtocolError } from '../../errors/local-errors.js';

/** Throws the typed error for a non-zero `error_code` of the daemon's own namespace. */
export function checkErrorCode(reply: { readonly type: string; readonly errorCode: number }): void {
  if (reply.errorCode !== 0) throw thinClientErrorFor(reply.errorCode, { request: reply.type.replace(/_reply$/, '') });
}

/** A field a successful reply must carry; its absence means the daemon broke the protocol. */
export function present<T>(value: T | null, field: string, reply: { readonly type: string }): T {
  if (value === null) throw new ProtocolError(`${reply.type}: success reply without ${field}`);
  return value;
}
