import { Observable, of } from 'rxjs';
import type { Link, LinkMessage } from '../core/link.js';
import { MalformedMessageError, ProtocolError } from '../errors/local-errors.js';
import type { ByteStream } from '../transport/byte-stream.js';
import { decodeDaemonMessage } from '../wire/codec.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { frameBuffers } from '../wire/frame-encoder.js';

/**
 * Turns a byte stream into a message link: frames are reassembled from any
 * chunking, decoded, and emitted synchronously in order; requests are
 * written as frames (`frameBuffers`: a large body is not copied).
 *
 * A framing or CBOR error makes the stream unusable (we cannot trust what
 * follows, and a lost reply would leave its request hanging), so the error
 * ends `messages$` and the owner resets the connection. A frame that is
 * valid CBOR but breaks its variant's schema is only one bad message: it
 * is passed on as an `invalid` item and the stream goes on.
 */
export function frameLink(stream: ByteStream, maxFrameBody?: number): Link {
  const messages$ = new Observable<LinkMessage>((subscriber) => {
    const decoder = new FrameDecoder(maxFrameBody);
    const emit = (body: Uint8Array): void => {
      let message: LinkMessage;
      try {
        message = decodeDaemonMessage(body);
      } catch (error) {
        if (!(error instanceof MalformedMessageError)) throw error;
        message = { type: 'invalid', error };
      }
      subscriber.next(message);
    };
    const subscription = stream.chunks$.subscribe({
      next: (chunk) => {
        try {
          decoder.push(chunk, emit);
        } catch (error) {
          subscriber.error(error);
          stream.close();
        }
      },
      error: (error: unknown) => subscriber.error(error),
      // An end inside a frame is not a clean close: a reply was cut off.
      complete: () =>
        decoder.bufferedBytes > 0
          ? subscriber.error(new ProtocolError(`the connection ended inside a frame (${decoder.bufferedBytes} bytes of it received)`))
          : subscriber.complete(),
    });
    return () => subscription.unsubscribe();
  });
  return {
    messages$,
    send(body: Uint8Array): void {
      stream.write(frameBuffers(body, maxFrameBody));
    },
    close: () => stream.close(),
    // A custom transport without whenClosed: nothing to wait for, so a deliberate close asks for a barrier first.
    whenClosed: stream.whenClosed ?? of(undefined),
    closeNeedsBarrier: stream.whenClosed === undefined || stream.closeIsOrdered === false,
  };
}
