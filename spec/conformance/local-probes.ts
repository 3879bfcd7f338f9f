import { firstValueFrom, type Observable } from 'rxjs';
import { DaemonError, type ThinClient } from 'katzenpost-rx';

/** One local request and what came of it: `ok` (with a shape) or the error class and code. */
export interface ProbeOutcome {
  readonly probe: string;
  readonly outcome: string;
}

async function outcome(probe: string, run: () => Observable<unknown>, describe: (value: unknown) => string = () => 'ok'): Promise<ProbeOutcome> {
  try {
    return { probe, outcome: describe(await firstValueFrom(run())) };
  } catch (error) {
    if (error instanceof DaemonError) return { probe, outcome: `${error.name}(${error.code})` };
    throw error;
  }
}

/**
 * The local (no-mixnet) requests an offline daemon can answer, run through
 * the client. Run against the real daemon and the simulator, the two lists
 * must be equal: that is how the simulator is kept faithful.
 */
export async function localProbes(client: ThinClient): Promise<ProbeOutcome[]> {
  const seed = new Uint8Array(32).fill(7);
  const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seed));
  const maxIndex = new Uint8Array(firstMessageIndex);
  maxIndex.fill(0xff, 0, 8); // Idx64 = 2^64 − 1: advancing it overflows
  const probes: ProbeOutcome[] = [];
  probes.push(await outcome('new_keypair', () => client.newKeypair(seed), (r) => {
    const k = r as { writeCap: Uint8Array; readCap: Uint8Array; firstMessageIndex: Uint8Array };
    return `ok ${k.writeCap.length}/${k.readCap.length}/${k.firstMessageIndex.length}`;
  }));
  probes.push(await outcome('next_message_box_index', () => client.nextMessageBoxIndex(firstMessageIndex), (r) => `ok ${(r as Uint8Array).length}`));
  probes.push(await outcome('next_message_box_index(max)', () => client.nextMessageBoxIndex(maxIndex)));
  probes.push(await outcome('get_message_box_index_counter(max)', () => client.getMessageBoxIndexCounter(maxIndex), (r) => `ok ${r}`));
  probes.push(await outcome('encrypt_write', () => client.encryptWrite(new Uint8Array(5), writeCap, firstMessageIndex)));
  probes.push(await outcome('encrypt_read', () => client.encryptRead(readCap, firstMessageIndex)));
  probes.push(await outcome('create_courier_envelopes_from_payload', () => client.createCourierEnvelopesFromPayload(new Uint8Array(5), writeCap, firstMessageIndex, true, true)));
  probes.push(
    await outcome('create_courier_envelopes_from_multi_payload', () =>
      client.createCourierEnvelopesFromMultiPayload([{ payload: new Uint8Array(5), writeCap, startIndex: firstMessageIndex }], true, true),
    ),
  );
  probes.push(await outcome('create_courier_envelopes_from_tombstone_range(0)', () => client.createCourierEnvelopesFromTombstoneRange(writeCap, firstMessageIndex, 0, true, true), (r) => `ok ${(r as { envelopes: unknown[] }).envelopes.length}`));
  probes.push(await outcome('create_courier_envelopes_from_tombstone_range(2)', () => client.createCourierEnvelopesFromTombstoneRange(writeCap, firstMessageIndex, 2, true, true)));
  probes.push(await outcome('get_pki_document(0)', () => client.getPKIDocumentRaw(0)));
  probes.push(await outcome('get_pki_document(5)', () => client.getPKIDocumentRaw(5)));
  probes.push(await outcome('cancel_resending_encrypted_message(unknown)', () => client.cancelResendingEncryptedMessage(new Uint8Array(32).fill(5))));
  probes.push(await outcome('cancel_resending_copy_command(unknown)', () => client.cancelResendingCopyCommand(new Uint8Array(32).fill(5))));
  return probes;
}
