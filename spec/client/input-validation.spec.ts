import { NEVER } from 'rxjs';
import { InvalidArgumentError, ThinClient } from 'katzenpost-rx';

/**
 * Every public method checks its arguments before anything is queued or
 * sent, and throws an InvalidArgumentError naming the argument — without
 * its content (which may be a secret).
 */
describe('argument validation before the wire (issue 4, bad input from users)', () => {
  const client = new ThinClient({ dial: { tcp: { address: '127.0.0.1:9' } } }, { socketFactory: () => NEVER, reconnect: false });
  const b = (n: number) => new Uint8Array(n).fill(0xab);
  const cap = b(168);
  const readCap = b(136);
  const index = b(104);
  const hash = b(32);
  const envelope = { messageCiphertext: b(10), envelopeDescriptor: b(10), envelopeHash: hash };
  const dest = { destinationIdHash: hash, recipientQueueId: new TextEncoder().encode('+echo') };

  const cases: Array<[string, string, () => unknown]> = [
    ['newKeypair short seed', 'seed', () => client.newKeypair(b(31))],
    ['newKeypair long seed', 'seed', () => client.newKeypair(b(33))],
    ['newKeypair not bytes', 'seed', () => client.newKeypair('seed' as never)],
    ['nextMessageBoxIndex', 'messageBoxIndex', () => client.nextMessageBoxIndex(b(103))],
    ['getMessageBoxIndexCounter', 'messageBoxIndex', () => client.getMessageBoxIndexCounter(null as never)],
    ['encryptRead cap', 'readCap', () => client.encryptRead(cap, index)],
    ['encryptRead index', 'messageBoxIndex', () => client.encryptRead(readCap, b(8))],
    ['encryptWrite cap', 'writeCap', () => client.encryptWrite(b(5), readCap, index)],
    ['encryptWrite plaintext type', 'plaintext', () => client.encryptWrite([1, 2] as never, cap, index)],
    ['startResending both caps', 'readCap/writeCap', () => client.startResendingEncryptedMessage({ readCap, writeCap: cap, messageBoxIndex: index, ...envelope })],
    ['startResending no cap', 'readCap/writeCap', () => client.startResendingEncryptedMessage({ ...envelope })],
    ['startResending read without index', 'messageBoxIndex', () => client.startResendingEncryptedMessage({ readCap, ...envelope })],
    ['startResending short hash', 'envelopeHash', () => client.startResendingEncryptedMessage({ writeCap: cap, ...envelope, envelopeHash: b(31) })],
    ['startResending empty descriptor', 'envelopeDescriptor', () => client.startResendingEncryptedMessage({ writeCap: cap, ...envelope, envelopeDescriptor: b(0) })],
    ['startResending reply index', 'replyIndex', () => client.startResendingEncryptedMessage({ writeCap: cap, ...envelope, replyIndex: 256 })],
    ['cancelResendingEncryptedMessage', 'envelopeHash', () => client.cancelResendingEncryptedMessage(b(16))],
    ['tombstoneRange count', 'maxCount', () => client.tombstoneRange(cap, index, -1)],
    ['createCourierEnvelopesFromPayload too big', 'payload', () => client.createCourierEnvelopesFromPayload(b(10 * 1024 * 1024 + 1), cap, index, true, true)],
    ['createCourierEnvelopesFromPayload flag', 'isStart', () => client.createCourierEnvelopesFromPayload(b(1), cap, index, 'yes' as never, true)],
    ['createCourierEnvelopesFromMultiPayload none', 'destinations', () => client.createCourierEnvelopesFromMultiPayload([], true, true)],
    ['createCourierEnvelopesFromMultiPayload cap', 'destinations[1].writeCap', () =>
      client.createCourierEnvelopesFromMultiPayload([{ payload: b(1), writeCap: cap, startIndex: index }, { payload: b(1), writeCap: b(1), startIndex: index }], true, true)],
    ['createCourierEnvelopesFromTombstoneRange count', 'maxCount', () => client.createCourierEnvelopesFromTombstoneRange(cap, index, 2 ** 32, true, true)],
    ['startResendingCopyCommand cap', 'writeCap', () => client.startResendingCopyCommand(b(100))],
    ['startResendingCopyCommand courier', 'courier.courierQueueId', () => client.startResendingCopyCommand(cap, { courierIdentityHash: hash, courierQueueId: b(0) })],
    ['cancelResendingCopyCommand', 'writeCapHash', () => client.cancelResendingCopyCommand(b(168))],
    ['getPKIDocumentRaw epoch', 'epoch', () => client.getPKIDocumentRaw(-1)],
    ['sendMessage surb', 'surbId', () => client.sendMessage(b(8), b(4), dest)],
    ['sendMessage destination', 'destination.destinationIdHash', () => client.sendMessage(b(16), b(4), { ...dest, destinationIdHash: b(31) })],
    ['send queue id too long', 'destination.recipientQueueId', () => client.send(b(4), { ...dest, recipientQueueId: b(33) })],
    ['writeStream window', 'window', () => client.writeStream(cap, index, b(10), { window: 0 })],
    ['readStream$ window', 'window', () => client.readStream$(readCap, index, { window: 1.5 })],
    ['copySend none', 'destinations', () => client.copySend([])],
    ['copySend index', 'destinations[0].index', () => client.copySend([{ writeCap: cap, index: b(1), payload: b(1) }])],
    ['copyTombstones cap', 'writeCap', () => client.copyTombstones(readCap, index, 1)],
    ['prepareWrite index', 'index', () => client.prepareWrite(cap, b(3), b(1))],
    ['transmit', 'prepared.writeCap', () => client.transmit({} as never)],
  ];

  it.each(cases)('%s → InvalidArgumentError(%s), nothing queued', (_label, argument, call) => {
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe(argument);
    expect((thrown as Error).message).not.toMatch(/171|ab ab|abab/i); // never the bytes (0xab = 171)
    expect(client.pendingRequestCount).toBe(0);
  });

  it('rejects the Promise form too', async () => {
    await expect(client.blockingSendMessage(b(4), { ...dest, recipientQueueId: b(0) })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses a clientInstanceToken of the wrong size at construction', () => {
    expect(() => new ThinClient({ dial: { tcp: { address: '127.0.0.1:9' } } }, { clientInstanceToken: b(15) })).toThrow(InvalidArgumentError);
  });
});
