import { isObservable, map, type Observable } from 'rxjs';
import { InvalidArgumentError, ThinClient, connectByteStream, type ByteStream } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { startSpecSimulator } from '../support/spec-simulator.js';

/**
 * THE table of bad arguments (issue 13, item 6): every public method of
 * `ThinClient` (and of the `Outbox` it makes) is called with bad arguments
 * on a client that is connected and online — so a missing check would put
 * a frame on the wire — and must fail with an `InvalidArgumentError`
 * naming the argument, without its content, and with no frame written.
 *
 * Robust to either delivery of argument errors (issue 14 decides): a throw
 * from the call, a rejected Promise, or an error on subscribe all count.
 */

const b = (n: number) => new Uint8Array(n).fill(0xab);
const cap = b(168);
const readCap = b(136);
const index = b(104);
const hash = b(32);
const envelope = { messageCiphertext: b(10), envelopeDescriptor: b(10), envelopeHash: hash };
const dest = { destinationIdHash: hash, recipientQueueId: new TextEncoder().encode('+echo') };
const prepared = { writeCap: cap, index, messageCiphertext: b(10), envelopeDescriptor: b(10), envelopeHash: hash, nextMessageBoxIndex: index };

/** Bad `timeoutMs` values: each must be refused by every method that takes options. */
const BAD_TIMEOUTS: Array<[string, unknown]> = [
  ['3e9 (beyond a timer, Node would fire it after 1 ms)', 3e9],
  ['-1', -1],
  ['0', 0],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['a string', '100'],
];

type Row = readonly [label: string, argument: string, call: (client: ThinClient) => unknown];

/** Per method: the calls with bad arguments, and which argument each must name. */
function rows(): Record<string, Row[]> {
  const withOptions = (name: string, call: (client: ThinClient, options: never) => unknown): Row[] => [
    ...BAD_TIMEOUTS.map(([label, timeoutMs]): Row => [`${name} timeoutMs ${label}`, 'options.timeoutMs', (c) => call(c, { timeoutMs } as never)]),
    [`${name} options null`, 'options', (c) => call(c, null as never)],
    [`${name} options a number`, 'options', (c) => call(c, 5 as never)],
  ];
  return {
    getPKIDocumentRaw: [['getPKIDocumentRaw epoch -1', 'epoch', (c) => c.getPKIDocumentRaw(-1)], ...withOptions('getPKIDocumentRaw', (c, o) => c.getPKIDocumentRaw(0, o))],
    getDirectoryAuthorities: withOptions('getDirectoryAuthorities', (c, o) => c.getDirectoryAuthorities(o)),
    getServices: [['getServices not a string', 'capability', (c) => c.getServices(5 as never)]],
    getService: [
      ['getService not a string', 'capability', (c) => c.getService(null as never)],
      ['getService empty', 'capability', (c) => c.getService('')],
    ],
    getDistinctCouriers: [
      ['getDistinctCouriers 0', 'n', (c) => c.getDistinctCouriers(0)],
      ['getDistinctCouriers 1.5', 'n', (c) => c.getDistinctCouriers(1.5)],
    ],
    send: [
      ['send queue id too long', 'destination.recipientQueueId', (c) => c.send(b(4), { ...dest, recipientQueueId: b(33) })],
      ['send destination null', 'destination', (c) => c.send(b(4), null as never)],
      ['send payload a string', 'payload', (c) => c.send('ping' as never, dest)],
      ...withOptions('send', (c, o) => c.send(b(4), dest, o)),
    ],
    sendMessage: [
      ['sendMessage surb', 'surbId', (c) => c.sendMessage(b(8), b(4), dest)],
      ['sendMessage destination', 'destination.destinationIdHash', (c) => c.sendMessage(b(16), b(4), { ...dest, destinationIdHash: b(31) })],
    ],
    sendMessageWithoutReply: [['sendMessageWithoutReply destination', 'destination', (c) => c.sendMessageWithoutReply(b(4), 'echo' as never)]],
    blockingSendMessage: [
      ['blockingSendMessage queue id empty', 'destination.recipientQueueId', (c) => c.blockingSendMessage(b(4), { ...dest, recipientQueueId: b(0) })],
      ...withOptions('blockingSendMessage', (c, o) => c.blockingSendMessage(b(4), dest, o)),
    ],
    newKeypair: [
      ['newKeypair short seed', 'seed', (c) => c.newKeypair(b(31))],
      ['newKeypair long seed', 'seed', (c) => c.newKeypair(b(33))],
      ['newKeypair not bytes', 'seed', (c) => c.newKeypair('seed' as never)],
      ...withOptions('newKeypair', (c, o) => c.newKeypair(b(32), o)),
    ],
    nextMessageBoxIndex: [['nextMessageBoxIndex', 'messageBoxIndex', (c) => c.nextMessageBoxIndex(b(103))], ...withOptions('nextMessageBoxIndex', (c, o) => c.nextMessageBoxIndex(index, o))],
    getMessageBoxIndexCounter: [
      ['getMessageBoxIndexCounter null', 'messageBoxIndex', (c) => c.getMessageBoxIndexCounter(null as never)],
      ...withOptions('getMessageBoxIndexCounter', (c, o) => c.getMessageBoxIndexCounter(index, o)),
    ],
    encryptRead: [
      ['encryptRead cap', 'readCap', (c) => c.encryptRead(cap, index)],
      ['encryptRead index', 'messageBoxIndex', (c) => c.encryptRead(readCap, b(8))],
      ...withOptions('encryptRead', (c, o) => c.encryptRead(readCap, index, o)),
    ],
    encryptWrite: [
      ['encryptWrite cap', 'writeCap', (c) => c.encryptWrite(b(5), readCap, index)],
      ['encryptWrite plaintext type', 'plaintext', (c) => c.encryptWrite([1, 2] as never, cap, index)],
      ['encryptWrite plaintext too long', 'plaintext', (c) => c.encryptWrite(b(100_000), cap, index)],
      ...withOptions('encryptWrite', (c, o) => c.encryptWrite(b(5), cap, index, o)),
    ],
    startResendingEncryptedMessage: [
      ['startResending null', 'params', (c) => c.startResendingEncryptedMessage(null as never)],
      ['startResending a string', 'params', (c) => c.startResendingEncryptedMessage('envelope' as never)],
      ['startResending both caps', 'readCap/writeCap', (c) => c.startResendingEncryptedMessage({ readCap, writeCap: cap, messageBoxIndex: index, ...envelope })],
      ['startResending no cap', 'readCap/writeCap', (c) => c.startResendingEncryptedMessage({ ...envelope })],
      ['startResending read without index', 'messageBoxIndex', (c) => c.startResendingEncryptedMessage({ readCap, ...envelope })],
      ['startResending short hash', 'envelopeHash', (c) => c.startResendingEncryptedMessage({ writeCap: cap, ...envelope, envelopeHash: b(31) })],
      ['startResending empty descriptor', 'envelopeDescriptor', (c) => c.startResendingEncryptedMessage({ writeCap: cap, ...envelope, envelopeDescriptor: b(0) })],
      ['startResending reply index', 'replyIndex', (c) => c.startResendingEncryptedMessage({ writeCap: cap, ...envelope, replyIndex: 256 })],
      ['startResending flag not boolean', 'noRetryOnBoxIdNotFound', (c) => c.startResendingEncryptedMessage({ writeCap: cap, ...envelope, noRetryOnBoxIdNotFound: 1 as never })],
      ...withOptions('startResendingEncryptedMessage', (c, o) => c.startResendingEncryptedMessage({ writeCap: cap, ...envelope }, o)),
    ],
    startResendingEncryptedMessageReturnBoxExists: [
      ['startResendingReturnBoxExists null', 'params', (c) => c.startResendingEncryptedMessageReturnBoxExists(null as never)],
      ...withOptions('startResendingEncryptedMessageReturnBoxExists', (c, o) => c.startResendingEncryptedMessageReturnBoxExists({ writeCap: cap, ...envelope }, o)),
    ],
    startResendingEncryptedMessageNoRetry: [
      ['startResendingNoRetry undefined', 'params', (c) => c.startResendingEncryptedMessageNoRetry(undefined as never)],
      ...withOptions('startResendingEncryptedMessageNoRetry', (c, o) => c.startResendingEncryptedMessageNoRetry({ readCap, messageBoxIndex: index, ...envelope }, o)),
    ],
    cancelResendingEncryptedMessage: [
      ['cancelResendingEncryptedMessage', 'envelopeHash', (c) => c.cancelResendingEncryptedMessage(b(16))],
      ...withOptions('cancelResendingEncryptedMessage', (c, o) => c.cancelResendingEncryptedMessage(hash, o)),
    ],
    tombstoneRange: [
      ['tombstoneRange -1', 'maxCount', (c) => c.tombstoneRange(cap, index, -1)],
      ['tombstoneRange 1e9 (would run for ever)', 'maxCount', (c) => c.tombstoneRange(cap, index, 1e9)],
      ['tombstoneRange beyond a copy stream', 'maxCount', (c) => c.tombstoneRange(cap, index, 65_537)],
      ['tombstoneRange not a number', 'maxCount', (c) => c.tombstoneRange(cap, index, '3' as never)],
      ['tombstoneRange start', 'start', (c) => c.tombstoneRange(cap, b(1), 1)],
      ...withOptions('tombstoneRange', (c, o) => c.tombstoneRange(cap, index, 1, o)),
    ],
    createCourierEnvelopesFromPayload: [
      ['createCourierEnvelopesFromPayload too big', 'payload', (c) => c.createCourierEnvelopesFromPayload(b(10 * 1024 * 1024 + 1), cap, index, true, true)],
      ['createCourierEnvelopesFromPayload flag', 'isStart', (c) => c.createCourierEnvelopesFromPayload(b(1), cap, index, 'yes' as never, true)],
      ...withOptions('createCourierEnvelopesFromPayload', (c, o) => c.createCourierEnvelopesFromPayload(b(1), cap, index, true, true, o)),
    ],
    createCourierEnvelopesFromMultiPayload: [
      ['createCourierEnvelopesFromMultiPayload none', 'destinations', (c) => c.createCourierEnvelopesFromMultiPayload([], true, true)],
      ['createCourierEnvelopesFromMultiPayload null', 'destinations', (c) => c.createCourierEnvelopesFromMultiPayload(null as never, true, true)],
      [
        'createCourierEnvelopesFromMultiPayload cap',
        'destinations[1].writeCap',
        (c) =>
          c.createCourierEnvelopesFromMultiPayload(
            [
              { payload: b(1), writeCap: cap, startIndex: index },
              { payload: b(1), writeCap: b(1), startIndex: index },
            ],
            true,
            true,
          ),
      ],
      ['createCourierEnvelopesFromMultiPayload buffer', 'buffer', (c) => c.createCourierEnvelopesFromMultiPayload([{ payload: b(1), writeCap: cap, startIndex: index }], false, true, 'x' as never)],
      ...withOptions('createCourierEnvelopesFromMultiPayload', (c, o) => c.createCourierEnvelopesFromMultiPayload([{ payload: b(1), writeCap: cap, startIndex: index }], true, true, null, o)),
    ],
    createCourierEnvelopesFromTombstoneRange: [
      ['createCourierEnvelopesFromTombstoneRange 2^32', 'maxCount', (c) => c.createCourierEnvelopesFromTombstoneRange(cap, index, 2 ** 32, true, true)],
      ['createCourierEnvelopesFromTombstoneRange beyond a copy stream', 'maxCount', (c) => c.createCourierEnvelopesFromTombstoneRange(cap, index, 65_537, true, true)],
      ...withOptions('createCourierEnvelopesFromTombstoneRange', (c, o) => c.createCourierEnvelopesFromTombstoneRange(cap, index, 1, true, true, null, o)),
    ],
    startResendingCopyCommand: [
      ['startResendingCopyCommand cap', 'writeCap', (c) => c.startResendingCopyCommand(b(100))],
      ['startResendingCopyCommand courier queue', 'courier.courierQueueId', (c) => c.startResendingCopyCommand(cap, { courierIdentityHash: hash, courierQueueId: b(0) })],
      ['startResendingCopyCommand courier null', 'courier', (c) => c.startResendingCopyCommand(cap, null as never)],
      ...withOptions('startResendingCopyCommand', (c, o) => c.startResendingCopyCommand(cap, undefined, o)),
    ],
    cancelResendingCopyCommand: [
      ['cancelResendingCopyCommand', 'writeCapHash', (c) => c.cancelResendingCopyCommand(b(168))],
      ...withOptions('cancelResendingCopyCommand', (c, o) => c.cancelResendingCopyCommand(hash, o)),
    ],
    write: [
      ['write cap', 'writeCap', (c) => c.write(readCap, index, b(1))],
      ['write index', 'index', (c) => c.write(cap, b(1), b(1))],
      ['write plaintext', 'plaintext', (c) => c.write(cap, index, null as never)],
      ['write failIfBoxExists', 'options.failIfBoxExists', (c) => c.write(cap, index, b(1), { failIfBoxExists: 'yes' as never })],
      ...withOptions('write', (c, o) => c.write(cap, index, b(1), o)),
    ],
    read: [
      ['read cap', 'readCap', (c) => c.read(cap, index)],
      ['read noRetry', 'options.noRetry', (c) => c.read(readCap, index, { noRetry: 1 as never })],
      ...withOptions('read', (c, o) => c.read(readCap, index, o)),
    ],
    writeStream: [
      ['writeStream window 0', 'options.window', (c) => c.writeStream(cap, index, b(10), { window: 0 })],
      ['writeStream window 2000', 'options.window', (c) => c.writeStream(cap, index, b(10), { window: 2000 })],
      ['writeStream window null', 'options.window', (c) => c.writeStream(cap, index, b(10), { window: null as never })],
      ['writeStream cap', 'writeCap', (c) => c.writeStream(readCap, index, b(10))],
      ['writeStream resumeFrom box -1', 'options.resumeFrom.box', (c) => c.writeStream(cap, index, b(10), { resumeFrom: { box: -1, index } })],
      ['writeStream resumeFrom index', 'options.resumeFrom.index', (c) => c.writeStream(cap, index, b(10), { resumeFrom: { box: 1, index: b(3) } })],
      ...withOptions('writeStream', (c, o) => c.writeStream(cap, index, b(10), o)),
    ],
    readStream$: [
      ['readStream$ window 1.5', 'options.window', (c) => c.readStream$(readCap, index, { window: 1.5 })],
      ['readStream$ window a string', 'options.window', (c) => c.readStream$(readCap, index, { window: '8' as never })],
      ['readStream$ index', 'index', (c) => c.readStream$(readCap, b(2))],
      ...withOptions('readStream$', (c, o) => c.readStream$(readCap, index, o)),
    ],
    readStreamBoxes$: [
      ['readStreamBoxes$ resumeFrom null', 'options.resumeFrom', (c) => c.readStreamBoxes$(readCap, index, { resumeFrom: null as never })],
      ['readStreamBoxes$ resumeFrom box 0', 'options.resumeFrom.box', (c) => c.readStreamBoxes$(readCap, index, { resumeFrom: { box: 0, index, length: 10, boxSize: 100 } })],
      ['readStreamBoxes$ resumeFrom box size', 'options.resumeFrom.boxSize', (c) => c.readStreamBoxes$(readCap, index, { resumeFrom: { box: 1, index, length: 10, boxSize: 4 } })],
      ['readStreamBoxes$ resumeFrom length', 'options.resumeFrom.length', (c) => c.readStreamBoxes$(readCap, index, { resumeFrom: { box: 1, index, length: -1, boxSize: 100 } })],
      ['readStreamBoxes$ window', 'options.window', (c) => c.readStreamBoxes$(readCap, index, { window: 0 })],
      ...withOptions('readStreamBoxes$', (c, o) => c.readStreamBoxes$(readCap, index, o)),
    ],
    tail$: [
      ['tail$ initialDelayMs -1', 'options.initialDelayMs', (c) => c.tail$(readCap, index, { initialDelayMs: -1 })],
      ['tail$ maxDelayMs NaN', 'options.maxDelayMs', (c) => c.tail$(readCap, index, { maxDelayMs: Number.NaN })],
      ['tail$ maxDelayMs 3e9', 'options.maxDelayMs', (c) => c.tail$(readCap, index, { maxDelayMs: 3e9 })],
      ...withOptions('tail$', (c, o) => c.tail$(readCap, index, o)),
    ],
    copySend: [
      ['copySend none', 'destinations', (c) => c.copySend([])],
      ['copySend index', 'destinations[0].index', (c) => c.copySend([{ writeCap: cap, index: b(1), payload: b(1) }])],
      ['copySend window', 'options.window', (c) => c.copySend([{ writeCap: cap, index, payload: b(1) }], { window: 0 })],
      ['copySend courier', 'courier.courierIdentityHash', (c) => c.copySend([{ writeCap: cap, index, payload: b(1) }], { courier: { courierIdentityHash: b(1), courierQueueId: b(1) } })],
      ...withOptions('copySend', (c, o) => c.copySend([{ writeCap: cap, index, payload: b(1) }], o)),
    ],
    copyTombstones: [
      ['copyTombstones cap', 'writeCap', (c) => c.copyTombstones(readCap, index, 1)],
      ['copyTombstones 1e9', 'count', (c) => c.copyTombstones(cap, index, 1e9)],
      ['copyTombstones NaN', 'count', (c) => c.copyTombstones(cap, index, Number.NaN)],
      ...withOptions('copyTombstones', (c, o) => c.copyTombstones(cap, index, 1, o)),
    ],
    prepareWrite: [['prepareWrite index', 'index', (c) => c.prepareWrite(cap, b(3), b(1))], ...withOptions('prepareWrite', (c, o) => c.prepareWrite(cap, index, b(1), o))],
    transmit: [
      ['transmit empty', 'prepared.writeCap', (c) => c.transmit({} as never)],
      ['transmit null', 'prepared', (c) => c.transmit(null as never)],
      ['transmit no hash', 'prepared.envelopeHash', (c) => c.transmit({ ...prepared, envelopeHash: undefined } as never)],
      ...withOptions('transmit', (c, o) => c.transmit(prepared as never, o)),
    ],
    createOutbox: [
      ['createOutbox 0 (would never transmit)', 'concurrency', (c) => c.createOutbox(0)],
      ['createOutbox -1', 'concurrency', (c) => c.createOutbox(-1)],
      ['createOutbox 1.5', 'concurrency', (c) => c.createOutbox(1.5)],
      ['createOutbox a string', 'concurrency', (c) => c.createOutbox('2' as never)],
      ['Outbox.add null', 'prepared', (c) => c.createOutbox().add(null as never)],
      ['Outbox.add without a cap', 'prepared.writeCap', (c) => c.createOutbox().add({ ...prepared, writeCap: null } as never)],
    ],
  };
}

/** Public methods that take no arguments: nothing to get wrong. */
const NO_ARGUMENTS = new Set([
  'connect',
  'close',
  'disconnect',
  'isConnected',
  'sphinxGeometry',
  'pigeonholeGeometry',
  'newMessageID',
  'newSURBID',
  'newQueryID',
  'pkiDocument',
  'getAllCouriers',
  'whenOnline',
  'toJSON',
]);
/** TypeScript-private helpers (on the prototype at run time, not part of the API). */
const PRIVATE = new Set(['constructor', 'createController', 'onMessage', 'requireDocument']);

/** What a call did: threw, rejected, errored on subscribe, or (a failure here) none of them. */
async function outcome(call: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return error;
  }
  if (result instanceof Promise) return result.then(() => 'resolved', (error: unknown) => error);
  if (isObservable(result)) {
    let error: unknown = 'no error on subscribe';
    const subscription = (result as Observable<unknown>).subscribe({ next: () => (error = 'emitted'), error: (e: unknown) => (error = e) });
    // A request that slipped through is written synchronously; give it a macrotask anyway.
    await new Promise((resolve) => setImmediate(resolve));
    subscription.unsubscribe();
    return error;
  }
  return `returned ${typeof result}`;
}

describe('every public method refuses bad arguments before anything is sent', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;
  /** Frames (writes) the client put on its socket. */
  let framesSent = 0;
  const countWrites = (stream: ByteStream): ByteStream => ({
    chunks$: stream.chunks$,
    close: () => stream.close(),
    write: (buffers) => {
      framesSent++;
      stream.write(buffers);
    },
  });

  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'arguments are refused before anything is sent; no timing involved', seed: 'bad-arguments' });
    client = await ThinClient.connect(sim.config, { socketFactory: (dial) => connectByteStream(dial).pipe(map(countWrites)) });
    expect(client.isConnected()).toBe(true); // online: a request that got through would be sent at once
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('has a row for every public method that takes arguments', () => {
    const methods = Object.getOwnPropertyNames(ThinClient.prototype).filter(
      (name) => typeof Object.getOwnPropertyDescriptor(ThinClient.prototype, name)?.value === 'function' && !PRIVATE.has(name) && !NO_ARGUMENTS.has(name),
    );
    expect(methods.sort()).toEqual(Object.keys(rows()).sort());
  });

  const table = Object.values(rows()).flat();
  it.each(table)('%s → InvalidArgumentError(%s), no frame sent', async (_label, argument, call) => {
    const before = framesSent;
    const error = await outcome(() => call(client));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).not.toMatch(/171|ab ab|abab/i); // never the bytes (0xab = 171)
    expect(framesSent - before).toBe(0);
    expect(client.pendingRequestCount).toBe(0);
  });

  it('the frame counter sees a request that does go out (the check above can fail)', async () => {
    const before = framesSent;
    await outcome(() => client.nextMessageBoxIndex(index));
    expect(framesSent - before).toBe(1);
  });

  it.each([
    ['requestTimeoutMs 3e9', 'options.requestTimeoutMs', { requestTimeoutMs: 3e9 }],
    ['requestTimeoutMs -1', 'options.requestTimeoutMs', { requestTimeoutMs: -1 }],
    ['handshakeTimeoutMs NaN', 'options.handshakeTimeoutMs', { handshakeTimeoutMs: Number.NaN }],
    ['maxMixnetInFlight 0', 'options.maxMixnetInFlight', { maxMixnetInFlight: 0 }],
    ['encryptionConnections 9', 'options.encryptionConnections', { encryptionConnections: 9 }],
    ['encryptionConnections 1.5', 'options.encryptionConnections', { encryptionConnections: 1.5 }],
    ['encryptionConnections -1', 'options.encryptionConnections', { encryptionConnections: -1 }],
    ['clientInstanceToken 15 bytes', 'clientInstanceToken', { clientInstanceToken: b(15) }],
    ['options null', 'options', null],
  ])('new ThinClient with %s → InvalidArgumentError(%s)', (_label, argument, options) => {
    let dialled = 0;
    const error = (() => {
      try {
        const factory = (): Observable<ByteStream> => (dialled++, connectByteStream(sim.config.dial));
        new ThinClient(sim.config, (options === null ? null : { ...options, socketFactory: factory }) as never);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect(dialled).toBe(0);
  });
});
