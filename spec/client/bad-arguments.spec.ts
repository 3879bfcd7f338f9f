import { catchError, firstValueFrom, isObservable, of, switchMap, type Observable } from 'rxjs';
import {
  Channel,
  ChannelManager,
  ConfigError,
  InvalidArgumentError,
  MemoryChannelStore,
  ReadCapabilityFormatError,
  ThinClient,
  connectByteStream,
  connectTcp,
  connectUnix,
  connectWebSocket,
  encodeInvite,
  type ByteStream,
} from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { frameCounter } from '../support/frame-counter.js';
import { publicSurface, type Returns } from '../support/public-surface.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

/**
 * The API conventions (README, "Conventions"), checked on the whole public
 * surface as the compiler sees it (spec/support/public-surface.ts):
 *
 * 1. **Naming**: a member whose Observable emits many values ends in `$`,
 *    one that answers once does not, and nothing else ends in `$`.
 * 2. **Argument errors, one way**: THE table of bad arguments (issue 13,
 *    item 6) — every public method of `ThinClient` (and of the `Outbox` it
 *    makes) is called with bad arguments on a client that is connected and
 *    online, so a missing check would put a frame on the wire. Each must
 *    fail with an `InvalidArgumentError` naming the argument, without its
 *    content, with no frame written — delivered the one way its return
 *    type implies: an Observable returned without a throw that errors on
 *    subscribe; a Promise that rejects; a synchronous method's throw.
 * 3. **Cold**: every Observable-returning method (`ThinClient`, `Channel`,
 *    `ChannelManager`) says so in its doc.
 */

/**
 * Every Observable-returning public member and function, and how many
 * values it emits. A new one fails the first test below until it is
 * classified here — and then its name must follow the rule.
 */
const CARDINALITY: Readonly<Record<string, 'one' | 'many'>> = {
  'ThinClient.events$': 'many',
  'ThinClient.state$': 'many',
  'ThinClient.pkiDocument$': 'many',
  'ThinClient.getPKIDocumentRaw': 'one',
  'ThinClient.getDirectoryAuthorities': 'one',
  'ThinClient.send': 'one',
  'ThinClient.sendMessage': 'one',
  'ThinClient.sendMessageWithoutReply': 'one', // completes without a value
  'ThinClient.newKeypair': 'one',
  'ThinClient.nextMessageBoxIndex': 'one',
  'ThinClient.getMessageBoxIndexCounter': 'one',
  'ThinClient.encryptRead': 'one',
  'ThinClient.encryptWrite': 'one',
  'ThinClient.startResendingEncryptedMessage': 'one',
  'ThinClient.startResendingEncryptedMessageReturnBoxExists': 'one',
  'ThinClient.startResendingEncryptedMessageNoRetry': 'one',
  'ThinClient.cancelResendingEncryptedMessage': 'one',
  'ThinClient.tombstoneRange': 'one',
  'ThinClient.createCourierEnvelopesFromPayload': 'one',
  'ThinClient.createCourierEnvelopesFromMultiPayload': 'one',
  'ThinClient.createCourierEnvelopesFromTombstoneRange': 'one',
  'ThinClient.startResendingCopyCommand': 'one',
  'ThinClient.cancelResendingCopyCommand': 'one',
  'ThinClient.write': 'one',
  'ThinClient.read': 'one',
  'ThinClient.writeStream$': 'many',
  'ThinClient.writeStream': 'many', // deprecated alias of writeStream$
  'ThinClient.readStream$': 'many',
  'ThinClient.readStreamBoxes$': 'many',
  'ThinClient.tail$': 'many',
  'ThinClient.copySend': 'one',
  'ThinClient.copyTombstones': 'one',
  'ThinClient.prepareWrite': 'one',
  'ThinClient.transmit': 'one',
  'ThinClient.whenOnline': 'one',
  'ThinClient.voucherMint': 'one',
  'ThinClient.voucherInduct': 'one',
  'ThinClient.voucherOpen': 'one',
  'ThinClient.voucherDeriveStream': 'one',
  'ThinClient.invite': 'one',
  'ThinClient.awaitAcceptance': 'one',
  'ThinClient.acceptInvite': 'one',
  'ThinClient.sealInviteAnswer': 'one',
  'ThinClient.writeInviteAnswer': 'one',
  'ThinClient.withdrawInvite': 'one',
  'Invitation.accepted': 'one',
  'Outbox.results$': 'many',
  'Outbox.pending$': 'many',
  'ByteStream.chunks$': 'many',
  'ByteStream.whenClosed': 'one',
  'ChannelManager.copySend': 'one',
  'ChannelManager.recover$': 'many',
  'ChannelManager.acceptInvite': 'one',
  'ChannelManager.awaitContact': 'one',
  'Channel.send': 'one',
  'Channel.prepare': 'one',
  'Channel.flush$': 'many',
  'Channel.flush': 'many', // deprecated alias of flush$
  'Channel.tombstoneCurrent': 'one',
  'Channel.tombstoneRange$': 'many',
  'Channel.tombstoneRange': 'many', // deprecated alias of tombstoneRange$
  'Channel.copySend': 'one',
  'Channel.messages$': 'many',
  connectByteStream: 'one',
  connectTcp: 'one',
  connectUnix: 'one',
  connectWebSocket: 'one',
};

const b = (n: number) => new Uint8Array(n).fill(0xab);
const cap = b(168);
const readCap = b(136);
const index = b(104);
const hash = b(32);
const envelope = { messageCiphertext: b(10), envelopeDescriptor: b(10), envelopeHash: hash };
const dest = { destinationIdHash: hash, recipientQueueId: new TextEncoder().encode('+echo') };
const prepared = { writeCap: cap, index, messageCiphertext: b(10), envelopeDescriptor: b(10), envelopeHash: hash, nextMessageBoxIndex: index };
const voucher = b(32);
const pending = { voucher, voucherPayload: b(457), voucherSecretKey: b(162), messageWriteCap: cap, displayName: 'Alice' };
const card = { displayName: 'Bob', readCap };
const invite = encodeInvite(voucher);

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
      ['writeStream (deprecated) window 0', 'options.window', (c) => c.writeStream(cap, index, b(10), { window: 0 })],
      ['writeStream (deprecated) cap', 'writeCap', (c) => c.writeStream(readCap, index, b(10))],
    ],
    writeStream$: [
      ['writeStream$ window 0', 'options.window', (c) => c.writeStream$(cap, index, b(10), { window: 0 })],
      ['writeStream$ window 2000', 'options.window', (c) => c.writeStream$(cap, index, b(10), { window: 2000 })],
      ['writeStream$ window null', 'options.window', (c) => c.writeStream$(cap, index, b(10), { window: null as never })],
      ['writeStream$ cap', 'writeCap', (c) => c.writeStream$(readCap, index, b(10))],
      ['writeStream$ resumeFrom box -1', 'options.resumeFrom.box', (c) => c.writeStream$(cap, index, b(10), { resumeFrom: { box: -1, index } })],
      ['writeStream$ resumeFrom index', 'options.resumeFrom.index', (c) => c.writeStream$(cap, index, b(10), { resumeFrom: { box: 1, index: b(3) } })],
      ...withOptions('writeStream$', (c, o) => c.writeStream$(cap, index, b(10), o)),
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
    voucherMint: [
      ['voucherMint cap', 'messageWriteCap', (c) => c.voucherMint(readCap, 'Alice')],
      ['voucherMint name not a string', 'displayName', (c) => c.voucherMint(cap, 5 as never)],
      ['voucherMint name too long for box 0', 'displayName', (c) => c.voucherMint(cap, 'x'.repeat(1200))],
      ['voucherMint name with a lone surrogate', 'displayName', (c) => c.voucherMint(cap, 'A\uDC00')],
      ...withOptions('voucherMint', (c, o) => c.voucherMint(cap, 'Alice', o)),
    ],
    voucherInduct: [
      ['voucherInduct voucher 31', 'voucher', (c) => c.voucherInduct(b(31), b(457), b(1))],
      ['voucherInduct payload empty', 'voucherPayload', (c) => c.voucherInduct(voucher, b(0), b(1))],
      ['voucherInduct payload larger than a box', 'voucherPayload', (c) => c.voucherInduct(voucher, b(5000), b(1))],
      ['voucherInduct reply too long for box 1', 'whoReply', (c) => c.voucherInduct(voucher, b(457), b(1300))],
      ['voucherInduct reply a string', 'whoReply', (c) => c.voucherInduct(voucher, b(457), 'hi' as never)],
      ...withOptions('voucherInduct', (c, o) => c.voucherInduct(voucher, b(457), b(1), o)),
    ],
    voucherOpen: [
      ['voucherOpen key 31 (the daemon would panic)', 'voucherSecretKey', (c) => c.voucherOpen(b(31), b(356), cap)],
      ['voucherOpen key 160', 'voucherSecretKey', (c) => c.voucherOpen(b(160), b(356), cap)],
      ['voucherOpen sealed null', 'sealedReply', (c) => c.voucherOpen(b(162), null as never, cap)],
      ['voucherOpen cap', 'messageWriteCap', (c) => c.voucherOpen(b(162), b(356), readCap)],
      ...withOptions('voucherOpen', (c, o) => c.voucherOpen(b(162), b(356), cap, o)),
    ],
    voucherDeriveStream: [
      ['voucherDeriveStream 33', 'voucher', (c) => c.voucherDeriveStream(b(33))],
      ['voucherDeriveStream null', 'voucher', (c) => c.voucherDeriveStream(null as never)],
      ...withOptions('voucherDeriveStream', (c, o) => c.voucherDeriveStream(voucher, o)),
    ],
    invite: [
      ['invite cap', 'myWriteCap', (c) => c.invite(readCap, 'Alice')],
      ['invite name', 'displayName', (c) => c.invite(cap, null as never)],
      ...withOptions('invite', (c, o) => c.invite(cap, 'Alice', o)),
    ],
    awaitAcceptance: [
      ['awaitAcceptance null', 'pending', (c) => c.awaitAcceptance(null as never)],
      ['awaitAcceptance key', 'pending.voucherSecretKey', (c) => c.awaitAcceptance({ ...pending, voucherSecretKey: b(32) } as never)],
      ['awaitAcceptance maxDelayMs', 'options.maxDelayMs', (c) => c.awaitAcceptance(pending as never, { maxDelayMs: -5 })],
      ...withOptions('awaitAcceptance', (c, o) => c.awaitAcceptance(pending as never, o)),
    ],
    acceptInvite: [
      ['acceptInvite a read capability', 'invite', (c) => c.acceptInvite(`kprx1:${'A'.repeat(326)}`, card)],
      ['acceptInvite a typo', 'invite', (c) => c.acceptInvite(invite.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A')), card)],
      ['acceptInvite card null', 'myReply', (c) => c.acceptInvite(invite, null as never)],
      ['acceptInvite card cap', 'myReply.readCap', (c) => c.acceptInvite(invite, { ...card, readCap: cap })],
      ['acceptInvite card index', 'myReply.startIndex', (c) => c.acceptInvite(invite, { ...card, startIndex: b(10) })],
      ['acceptInvite card name too long for box 1', 'myReply.displayName', (c) => c.acceptInvite(invite, { ...card, displayName: 'x'.repeat(1000) })],
      ['acceptInvite initialDelayMs', 'options.initialDelayMs', (c) => c.acceptInvite(invite, card, { initialDelayMs: Number.NaN })],
      ...withOptions('acceptInvite', (c, o) => c.acceptInvite(invite, card, o)),
    ],
    sealInviteAnswer: [
      ['sealInviteAnswer a typo', 'invite', (c) => c.sealInviteAnswer(invite.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A')), card)],
      ['sealInviteAnswer card cap', 'myReply.readCap', (c) => c.sealInviteAnswer(invite, { ...card, readCap: cap })],
      ...withOptions('sealInviteAnswer', (c, o) => c.sealInviteAnswer(invite, card, o)),
    ],
    writeInviteAnswer: [
      ['writeInviteAnswer a read capability', 'invite', (c) => c.writeInviteAnswer(`kprx1:${'A'.repeat(326)}`, b(356))],
      ['writeInviteAnswer empty answer', 'sealedReply', (c) => c.writeInviteAnswer(invite, b(0))],
      ['writeInviteAnswer answer larger than a box', 'sealedReply', (c) => c.writeInviteAnswer(invite, b(5000))],
      ...withOptions('writeInviteAnswer', (c, o) => c.writeInviteAnswer(invite, b(356), o)),
    ],
    withdrawInvite: [
      ['withdrawInvite payload', 'pending.voucherPayload', (c) => c.withdrawInvite({ ...pending, voucherPayload: null } as never)],
      ...withOptions('withdrawInvite', (c, o) => c.withdrawInvite(pending as never, o)),
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
const PRIVATE = new Set(['constructor', 'onMessage', 'requireDocument']);

/**
 * The error a call delivered the way its return type says — a synchronous
 * method's throw, a Promise's rejection, an Observable's error on
 * subscribe — or a description of what it did instead.
 */
async function outcome(call: () => unknown, returns: Returns): Promise<unknown> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return returns === 'other' ? error : `threw ${String(error)} from the call instead of delivering it through the ${returns}`;
  }
  if (returns === 'promise') return result instanceof Promise ? result.then(() => 'resolved', (error: unknown) => error) : `returned ${typeof result}, not a Promise`;
  if (returns === 'observable') {
    if (!isObservable(result)) return `returned ${typeof result}, not an Observable`;
    let error: unknown = 'no error on subscribe';
    const subscription = (result as Observable<unknown>).subscribe({ next: () => (error = 'emitted'), error: (e: unknown) => (error = e) });
    // A request that slipped through is written synchronously; give it a macrotask anyway.
    await new Promise((resolve) => setImmediate(resolve));
    subscription.unsubscribe();
    return error;
  }
  return `returned ${typeof result} without throwing`;
}

/** What `ThinClient.<method>` returns, from its declared type; `createOutbox` rows also call `Outbox.add` (both synchronous). */
function returnsOf(method: string): Returns {
  const member = publicSurface().members.find((m) => m.owner === 'ThinClient' && m.name === method);
  if (!member) throw new Error(`ThinClient.${method} is not in the public surface`);
  return member.returns;
}

describe('the public surface follows the naming rule', () => {
  const { members, functions } = publicSurface();
  const observables = [
    ...members.filter((m) => m.returns === 'observable').map((m) => ({ key: `${m.owner}.${m.name}`, name: m.name, deprecated: m.deprecated, doc: m.doc })),
    ...functions.filter((f) => f.returns === 'observable').map((f) => ({ key: f.name, name: f.name, deprecated: false, doc: f.doc })),
  ];

  it('classifies every Observable-returning member and function (a new one must be added to CARDINALITY)', () => {
    expect(observables.map((o) => o.key).sort()).toEqual(Object.keys(CARDINALITY).sort());
  });

  it('names end in $ exactly when the Observable emits many values', () => {
    const breaking = observables.filter((o) => o.name.endsWith('$') !== (CARDINALITY[o.key] === 'many') && !o.deprecated).map((o) => o.key);
    expect(breaking).toEqual([]);
  });

  it('nothing but an Observable ends in $', () => {
    const misnamed = [...members.map((m) => ({ key: `${m.owner}.${m.name}`, returns: m.returns })), ...functions.map((f) => ({ key: f.name, returns: f.returns }))].filter(
      (m) => m.key.endsWith('$') && m.returns !== 'observable',
    );
    expect(misnamed).toEqual([]);
  });

  it('a deprecated member names what replaces it, which exists and follows the rule', () => {
    const deprecated = members.filter((m) => m.deprecated);
    expect(deprecated.map((m) => `${m.owner}.${m.name}`).sort()).toEqual(['Channel.flush', 'Channel.tombstoneRange', 'ThinClient.writeStream']);
    for (const member of deprecated) {
      const replacement = /@deprecated Use \{@link ([A-Za-z$]+)\}/.exec(member.doc)?.[1];
      expect({ member: member.name, replacement }).toEqual({ member: member.name, replacement: expect.any(String) });
      expect(members.some((m) => m.owner === member.owner && m.name === replacement && !m.deprecated)).toBe(true);
    }
  });

  it.each([
    ['connectByteStream', () => connectByteStream({} as never)],
    ['connectTcp', () => connectTcp({ address: 'no port here' })],
    ['connectUnix', () => connectUnix({ address: '' })],
    ['connectWebSocket', () => connectWebSocket({ address: 'http://not-a-ws-url' })],
  ])('the exported Observable function %s delivers a bad dial as a ConfigError on subscribe', async (_name, call) => {
    expect(await outcome(call, 'observable')).toBeInstanceOf(ConfigError);
  });

  it('every Observable-returning method says it is cold (each subscription is one request)', () => {
    const requests = members.filter((m) => m.kind === 'method' && m.returns === 'observable' && !m.deprecated);
    expect(new Set(requests.map((m) => m.owner))).toEqual(new Set(['ThinClient', 'Channel', 'ChannelManager']));
    const silent = requests.filter((m) => !/Cold: each subscription/.test(m.doc));
    expect(silent.map((m) => `${m.owner}.${m.name}`)).toEqual([]);
  });
});

describe('every public method refuses bad arguments before anything is sent', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;
  /** Frames the client put on its socket. */
  const counter = frameCounter();

  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'arguments are refused before anything is sent; no timing involved', seed: 'bad-arguments' });
    client = await ThinClient.connect(sim.config, { socketFactory: counter.socketFactory });
    expect(client.isConnected()).toBe(true); // online: a request that got through would be sent at once
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('has a row for every public method that takes arguments (the compiler and the prototype agree on them)', () => {
    const declared = publicSurface()
      .members.filter((m) => m.owner === 'ThinClient' && m.kind === 'method' && !m.isStatic)
      .map((m) => m.name);
    const onPrototype = Object.getOwnPropertyNames(ThinClient.prototype).filter(
      (name) => typeof Object.getOwnPropertyDescriptor(ThinClient.prototype, name)?.value === 'function' && !PRIVATE.has(name),
    );
    expect(onPrototype.sort()).toEqual(declared.sort());
    const withArguments = onPrototype.filter((name) => !NO_ARGUMENTS.has(name));
    expect(withArguments.sort()).toEqual(Object.keys(rows()).sort());
  });

  const table = Object.entries(rows()).flatMap(([method, methodRows]) => methodRows.map(([label, argument, call]) => [label, argument, call, method] as const));
  it.each(table)('%s → InvalidArgumentError(%s), no frame sent', async (_label, argument, call, method) => {
    const before = counter.frames();
    const error = await outcome(() => call(client), returnsOf(method));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).not.toMatch(/171|ab ab|abab/i); // never the bytes (0xab = 171)
    expect(counter.frames() - before).toBe(0);
    expect(client.pendingRequestCount).toBe(0);
  });

  it('the frame counter sees a request that does go out (the check above can fail)', async () => {
    const before = counter.frames();
    await outcome(() => client.nextMessageBoxIndex(index), 'observable');
    expect(counter.frames() - before).toBe(1);
  });

  it('an argument error composes like any other error: inside switchMap it reaches catchError, and nothing is sent', async () => {
    const before = counter.frames();
    const caught = await firstValueFrom(
      of(b(3)).pipe(
        switchMap((badIndex) => client.read(readCap, badIndex)),
        catchError((error: unknown) => of(error)),
      ),
    );
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).argument).toBe('index');
    expect(counter.frames() - before).toBe(0);
  });

  describe('and so does every method of the channel layer, storing nothing', () => {
    type ChannelRow = readonly [label: string, argument: string, call: (manager: ChannelManager, channel: Channel) => unknown];
    /** Per `Owner.method`: calls with bad arguments, and the argument each must name. */
    const CHANNEL_ROWS: Record<string, ChannelRow[]> = {
      'ChannelManager.createChannel': [
        ['createChannel empty name', 'name', (m) => m.createChannel('')],
        ['createChannel 256-character name', 'name', (m) => m.createChannel('n'.repeat(256))],
      ],
      'ChannelManager.importChannel': [['importChannel name a number', 'name', (m) => m.importChannel(5 as never, 'kprx1:')]],
      'ChannelManager.get': [['get empty name', 'name', (m) => m.get('')]],
      'ChannelManager.delete': [['delete name null', 'name', (m) => m.delete(null as never)]],
      'ChannelManager.copySend': [
        ['manager copySend none', 'items', (m) => m.copySend([])],
        ['manager copySend twice one channel', 'items', (m, c) => m.copySend([{ channel: c.name, payload: b(1) }, { channel: c.name, payload: b(1) }])],
        ['manager copySend empty payload', 'items[0].payload', (m, c) => m.copySend([{ channel: c.name, payload: b(0) }])],
        ['manager copySend no channel', 'items[0].channel', () => new ChannelManager(client, new MemoryChannelStore()).copySend([{ payload: b(1) } as never])],
      ],
      'ChannelManager.invite': [
        ['invite empty name', 'name', (m) => m.invite('', 'Alice')],
        ['invite name too long for its channels', 'name', (m) => m.invite('n'.repeat(252), 'Alice')],
        ['invite display name too long for box 0', 'displayName', (m) => m.invite('bob', 'x'.repeat(5000))],
        ['invite timeoutMs -1', 'options.timeoutMs', (m) => m.invite('bob', 'Alice', { timeoutMs: -1 })],
      ],
      'ChannelManager.acceptInvite': [
        ['acceptInvite a read capability', 'invite', (m) => m.acceptInvite('alice', `kprx1:${'A'.repeat(326)}`, 'Bob')],
        ['acceptInvite name null', 'name', (m) => m.acceptInvite(null as never, invite, 'Bob')],
        ['acceptInvite display name a number', 'displayName', (m) => m.acceptInvite('alice', invite, 7 as never)],
        ['acceptInvite maxDelayMs -5', 'options.maxDelayMs', (m) => m.acceptInvite('alice', invite, 'Bob', { maxDelayMs: -5 })],
      ],
      'ChannelManager.awaitContact': [
        ['awaitContact empty name', 'name', (m) => m.awaitContact('')],
        ['awaitContact initialDelayMs NaN', 'options.initialDelayMs', (m) => m.awaitContact('bob', { initialDelayMs: Number.NaN })],
      ],
      'ChannelManager.inviteString': [['inviteString name a number', 'name', (m) => m.inviteString(5 as never)]],
      'ChannelManager.cancelExchange': [
        ['cancelExchange empty name', 'name', (m) => m.cancelExchange('')],
        ['cancelExchange timeoutMs 3e9', 'options.timeoutMs', (m) => m.cancelExchange('bob', { timeoutMs: 3e9 })],
      ],
      'ChannelManager.contact': [['contact name null', 'name', (m) => m.contact(null as never)]],
      'Channel.shareReadCapability': [
        ['shareReadCapability from last', 'options.from', (_m, c) => c.shareReadCapability({ from: 'last' as never })],
        ['shareReadCapability options null', 'options', (_m, c) => c.shareReadCapability(null as never)],
      ],
      'Channel.send': [
        ['channel send empty', 'plaintext', (_m, c) => c.send(b(0))],
        ['channel send a string', 'plaintext', (_m, c) => c.send('hi' as never)],
      ],
      'Channel.prepare': [['prepare null', 'plaintext', (_m, c) => c.prepare(null as never)]],
      'Channel.tombstoneRange$': [
        ['tombstoneRange$ -1', 'count', (_m, c) => c.tombstoneRange$(-1)],
        ['tombstoneRange$ 1.5', 'count', (_m, c) => c.tombstoneRange$(1.5)],
        ['tombstoneRange$ beyond a copy stream', 'count', (_m, c) => c.tombstoneRange$(65_537)],
      ],
      'Channel.tombstoneRange': [['tombstoneRange (deprecated) -1', 'count', (_m, c) => c.tombstoneRange(-1)]],
      'Channel.copySend': [
        ['channel copySend empty', 'payload', (_m, c) => c.copySend(b(0))],
        ['channel copySend over 10 MiB', 'payload', (_m, c) => c.copySend(b(10 * 1024 * 1024 + 1))],
      ],
      'Channel.messages$': [
        ['messages$ options null', 'options', (_m, c) => c.messages$(null as never)],
        ['messages$ initialDelayMs -1', 'options.initialDelayMs', (_m, c) => c.messages$({ initialDelayMs: -1 })],
        ['messages$ maxDelayMs 3e9', 'options.maxDelayMs', (_m, c) => c.messages$({ maxDelayMs: 3e9 })],
        ['messages$ replayUnread a string', 'options.replayUnread', (_m, c) => c.messages$({ replayUnread: 'no' as never })],
      ],
      'Channel.history': [
        ['history query null', 'query', (_m, c) => c.history(null as never)],
        ['history limit -1', 'query.limit', (_m, c) => c.history({ limit: -1 })],
        ['history order up', 'query.order', (_m, c) => c.history({ order: 'up' as never })],
        ['history unread 1', 'query.unread', (_m, c) => c.history({ unread: 1 as never })],
      ],
      'Channel.sentHistory': [['sentHistory afterId 1.5', 'query.afterId', (_m, c) => c.sentHistory({ afterId: 1.5 })]],
      'Channel.markRead': [
        ['markRead id 0', 'ids', (_m, c) => c.markRead(0)],
        ['markRead ids strings', 'ids', (_m, c) => c.markRead(['1'] as never)],
        ['markRead read a string', 'read', (_m, c) => c.markRead(1, 'no' as never)],
      ],
      'Channel.markUnread': [['markUnread ids null', 'ids', (_m, c) => c.markUnread(null as never)]],
    };

    let manager: ChannelManager;
    let channel: Channel;
    /** What the store holds, as the manager reports it: must not change. */
    const stored = async () => JSON.stringify({ channels: await manager.list(), pending: await channel.pending(), sent: await channel.sentHistory() });

    beforeAll(async () => {
      manager = new ChannelManager(client, new MemoryChannelStore());
      channel = await manager.createChannel('owned');
    });

    it('has a row for every Channel and ChannelManager method that takes arguments', () => {
      const withArguments = publicSurface()
        .members.filter((m) => (m.owner === 'Channel' || m.owner === 'ChannelManager') && m.kind === 'method' && m.parameterNames.length > 0)
        .map((m) => `${m.owner}.${m.name}`);
      expect(withArguments.sort()).toEqual(Object.keys(CHANNEL_ROWS).sort());
    });

    const channelTable = Object.entries(CHANNEL_ROWS).flatMap(([key, keyRows]) => keyRows.map(([label, argument, call]) => [label, argument, call, key] as const));
    it.each(channelTable)('%s → InvalidArgumentError(%s), nothing stored, no frame sent', async (_label, argument, call, key) => {
      const [owner, name] = key.split('.');
      const returns = publicSurface().members.find((m) => m.owner === owner && m.name === name)!.returns;
      const [framesBefore, storedBefore] = [counter.frames(), await stored()];
      const error = await outcome(() => call(manager, channel), returns);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(counter.frames() - framesBefore).toBe(0);
      expect(await stored()).toBe(storedBefore);
    });

    it('a read capability that does not parse is a ReadCapabilityFormatError, through the rejection', async () => {
      await expect(outcome(() => manager.importChannel('from-garbage', 'kprx1:not-a-capability'), 'promise')).resolves.toBeInstanceOf(ReadCapabilityFormatError);
      expect(await manager.list()).toHaveLength(1);
    });

    it.each([
      ['store null', 'store', [null, {}]],
      ['options null', 'options', [new MemoryChannelStore(), null]],
      ['options.now a number', 'options.now', [new MemoryChannelStore(), { now: 5 }]],
      ['options.verifyNextBox a string', 'options.verifyNextBox', [new MemoryChannelStore(), { verifyNextBox: 'yes' }]],
    ])('new ChannelManager with %s → InvalidArgumentError(%s)', async (_label, argument, [store, options]) => {
      await expect(outcome(() => new ChannelManager(client, store as never, options as never), 'other')).resolves.toMatchObject({ name: 'InvalidArgumentError', argument });
    });
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
