import { WireSizes } from '../../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../../wire/messages.js';
import type { LocalContext } from '../local-context.js';
import { encodeCopyEnvelope } from './copy-envelope.js';
import { concatBytes } from '../../wire/concat-bytes.js';
import { cutElements, ELEMENT_HEADER, frameEnvelope } from './copy-stream.js';
import { capPublicKey, nextIndex } from './fake-bacap.js';

const InvalidRequest = 3;
const InternalError = 4;

/** The three copy-stream constructors. */
export type ConstructorRequest = Extract<
  DecodedRequest,
  {
    type:
      | 'create_courier_envelopes_from_payload'
      | 'create_courier_envelopes_from_multi_payload'
      | 'create_courier_envelopes_from_tombstone_range';
  }
>;

/** An encoding step failed (index overflow, a chunk that does not fit): the daemon answers 4. */
class ConstructorFailure extends Error {}

/**
 * The `create_courier_envelopes_*` constructors (DAEMON.md §5,
 * `client/pigeonhole.go`), with the daemon's validation order and the
 * encoder's exact chunking, flag and buffer rules:
 * - destination chunks of M − 4 bytes, one destination box each;
 * - each chunk becomes one envelope of E = CourierQueryWriteLength − 1
 *   bytes, framed `[u32 BE E][envelope]` into the stream;
 * - the stream is cut into elements `[flags][u32 BE n][n bytes]`, n ≤ M − 5.
 *
 * @example
 * handleEnvelopeConstructor(context, { type: 'create_courier_envelopes_from_payload', … });
 */
export function handleEnvelopeConstructor(context: LocalContext, request: ConstructorRequest): OutgoingDaemonMessage {
  switch (request.type) {
    case 'create_courier_envelopes_from_payload':
      return fromPayload(context, request);
    case 'create_courier_envelopes_from_multi_payload':
      return fromMultiPayload(context, request);
    case 'create_courier_envelopes_from_tombstone_range':
      return fromTombstoneRange(context, request);
  }
}

type Req<K extends ConstructorRequest['type']> = Extract<ConstructorRequest, { type: K }>;

function fromPayload(context: LocalContext, request: Req<'create_courier_envelopes_from_payload'>): OutgoingDaemonMessage {
  const { queryId } = request;
  const fail = (errorCode: number): OutgoingDaemonMessage => ({ type: 'create_courier_envelopes_from_payload_reply', queryId, errorCode });
  const payload = request.payload ?? new Uint8Array(0);
  if (request.destWriteCap === null || request.destStartIndex === null) return fail(InvalidRequest);
  if (payload.length > WireSizes.maxCopyPayload) return fail(InvalidRequest);
  if (chunkSize(context) <= 0) return fail(InvalidRequest);
  if (context.pki.currentDocumentEpoch() === null) return fail(InternalError);
  try {
    const parts: Uint8Array[] = [];
    const next = addWrites(context, parts, request.destWriteCap, request.destStartIndex, payload);
    // A fresh encoder per call, flushed even when not last: no buffer in either direction.
    const { elements } = cutElements(concatBytes(parts), capacity(context), { flush: true, start: request.isStart, final: request.isLast });
    return {
      type: 'create_courier_envelopes_from_payload_reply',
      queryId,
      envelopes: elements.length > 0 ? elements : null,
      nextDestIndex: next,
      errorCode: 0,
    };
  } catch (error) {
    if (error instanceof ConstructorFailure) return fail(InternalError);
    throw error;
  }
}

function fromMultiPayload(context: LocalContext, request: Req<'create_courier_envelopes_from_multi_payload'>): OutgoingDaemonMessage {
  const { queryId } = request;
  const fail = (errorCode: number): OutgoingDaemonMessage => ({
    type: 'create_courier_envelopes_from_multi_payload_reply',
    queryId,
    errorCode,
  });
  const destinations = request.destinations ?? [];
  if (destinations.length === 0) return fail(InvalidRequest);
  if (chunkSize(context) <= 0) return fail(InternalError);
  // The document check comes before the per-destination checks.
  if (context.pki.currentDocumentEpoch() === null) return fail(InternalError);
  // The input buffer is raw stream bytes left by the previous call.
  const parts: Uint8Array[] = request.buffer !== null && request.buffer.length > 0 ? [request.buffer] : [];
  const nextIndices: Uint8Array[] = [];
  try {
    for (const destination of destinations) {
      if (destination.writeCap === null || destination.startIndex === null) return fail(InvalidRequest);
      const payload = destination.payload ?? new Uint8Array(0);
      if (payload.length > WireSizes.maxCopyPayload) return fail(InvalidRequest);
      nextIndices.push(addWrites(context, parts, destination.writeCap, destination.startIndex, payload));
    }
  } catch (error) {
    if (error instanceof ConstructorFailure) return fail(InternalError);
    throw error;
  }
  return {
    type: 'create_courier_envelopes_from_multi_payload_reply',
    queryId,
    ...cutStream(context, parts, request),
    nextDestIndices: nextIndices,
    errorCode: 0,
  };
}

function fromTombstoneRange(context: LocalContext, request: Req<'create_courier_envelopes_from_tombstone_range'>): OutgoingDaemonMessage {
  const { queryId } = request;
  const fail = (errorCode: number): OutgoingDaemonMessage => ({
    type: 'create_courier_envelopes_from_tombstone_range_reply',
    queryId,
    errorCode,
  });
  if (request.destWriteCap === null || request.destStartIndex === null) return fail(InvalidRequest);
  // max_count 0: immediate success, even without a document; any input buffer is dropped.
  if (request.maxCount === 0) {
    return { type: 'create_courier_envelopes_from_tombstone_range_reply', queryId, nextDestIndex: request.destStartIndex, errorCode: 0 };
  }
  if (chunkSize(context) <= 0) return fail(InternalError);
  if (context.pki.currentDocumentEpoch() === null) return fail(InternalError);
  const parts: Uint8Array[] = request.buffer !== null && request.buffer.length > 0 ? [request.buffer] : [];
  const publicKey = capPublicKey(request.destWriteCap);
  let index: Uint8Array = request.destStartIndex;
  try {
    for (let i = 0; i < request.maxCount; i++) {
      frameEnvelope(parts, envelope(context, { tombstone: true, publicKey, index, chunk: new Uint8Array(0) }));
      index = advance(index);
    }
  } catch (error) {
    if (error instanceof ConstructorFailure) return fail(InternalError);
    throw error;
  }
  return {
    type: 'create_courier_envelopes_from_tombstone_range_reply',
    queryId,
    ...cutStream(context, parts, request),
    nextDestIndex: index,
    errorCode: 0,
  };
}

/**
 * The buffering constructors' output: the stream (input buffer ‖ new
 * envelopes) cut into elements, flushed only by the last call. Not last:
 * the residual comes back as `buffer` (an empty byte string when nothing
 * was left over); last: `buffer` is null.
 */
function cutStream(context: LocalContext, parts: readonly Uint8Array[], request: { readonly isStart: boolean; readonly isLast: boolean }): { envelopes: Uint8Array[] | null; buffer: Uint8Array | null } {
  const { elements, residual } = cutElements(concatBytes(parts), capacity(context), { flush: request.isLast, start: request.isStart, final: request.isLast });
  return { envelopes: elements.length > 0 ? elements : null, buffer: request.isLast ? null : residual };
}

/** Chunks `payload` into M − 4 byte destination writes starting at `start`; returns the index after the last. */
function addWrites(context: LocalContext, parts: Uint8Array[], writeCap: Uint8Array, start: Uint8Array, payload: Uint8Array): Uint8Array {
  const size = chunkSize(context);
  const publicKey = capPublicKey(writeCap);
  let index = start;
  for (let offset = 0; offset < payload.length; offset += size) {
    const chunk = payload.subarray(offset, Math.min(payload.length, offset + size));
    frameEnvelope(parts, envelope(context, { tombstone: false, publicKey, index, chunk }));
    index = advance(index);
  }
  return index;
}

function envelope(context: LocalContext, content: Parameters<typeof encodeCopyEnvelope>[0]): Uint8Array {
  // Each envelope is MKEM-encrypted to two replicas of the document.
  if (context.pki.storageReplicas < 2) throw new ConstructorFailure('fewer than two replicas');
  try {
    return encodeCopyEnvelope(content, context.geometry.pigeonhole.courierQueryWriteLength - 1, context.random);
  } catch {
    throw new ConstructorFailure('envelope does not fit');
  }
}

function advance(index: Uint8Array): Uint8Array {
  const next = nextIndex(index);
  if (next === null) throw new ConstructorFailure('index overflow');
  return next;
}

/** Destination chunk size: M − 4. */
function chunkSize(context: LocalContext): number {
  return context.geometry.pigeonhole.maxPlaintextPayloadLength - 4;
}

/** Element payload capacity: M − 5. */
function capacity(context: LocalContext): number {
  return context.geometry.pigeonhole.maxPlaintextPayloadLength - ELEMENT_HEADER;
}
