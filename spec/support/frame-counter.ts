import { map, type Observable } from 'rxjs';
import { connectByteStream, type ByteStream, type DialConfig } from 'katzenpost-rx';

/** A socket factory for a client (`ThinClientOptions.socketFactory`) that counts what the client writes. */
export interface FrameCounter {
  readonly socketFactory: (dial: DialConfig) => Observable<ByteStream>;
  /** Frames written so far: the client writes each request as one call. */
  frames(): number;
}

/**
 * Counts the frames a client puts on its socket, to show that a request
 * was (or was not) sent.
 *
 * @example
 * const counter = frameCounter();
 * const client = await ThinClient.connect(sim.config, { socketFactory: counter.socketFactory });
 * const before = counter.frames();
 */
export function frameCounter(): FrameCounter {
  let frames = 0;
  const counting = (stream: ByteStream): ByteStream => ({
    chunks$: stream.chunks$,
    close: () => stream.close(),
    write: (buffers) => {
      frames++;
      stream.write(buffers);
    },
  });
  return { socketFactory: (dial) => connectByteStream(dial).pipe(map(counting)), frames: () => frames };
}
