import { firstValueFrom, type Observable } from 'rxjs';
import { DaemonError, RequestTimeoutError, blake2b256, bytesEqual, type ThinClient } from 'katzenpost-rx';
import type { ProbeOutcome } from './local-probes.js';

/**
 * What one request came to: `ok …` (described), the daemon's error class and
 * code, or `no reply`. No reply is decided by order, not by waiting: the
 * daemon answers local requests serially in arrival order (DAEMON.md §1.7),
 * so once a later local request is answered, an earlier one that is still
 * pending was never answered (kpclientd panics, recovers and stays silent).
 */
async function settle<T>(client: ThinClient, request: Observable<T>, describe: (value: T) => string): Promise<string> {
  let result: string | null = null;
  const subscription = request.subscribe({
    next: (value) => (result = describe(value)),
    error: (error: unknown) => {
      if (error instanceof DaemonError) result = `${error.name}(${error.code})`;
      else if (error instanceof RequestTimeoutError) result = 'timeout';
      else result = `${(error as Error).name}: ${(error as Error).message}`;
    },
  });
  await firstValueFrom(client.voucherDeriveStream(new Uint8Array(32)));
  subscription.unsubscribe();
  return result ?? 'no reply';
}

/** `bytes` with byte `i` xor 1. */
function flip(bytes: Uint8Array, i: number): Uint8Array {
  const copy = bytes.slice();
  copy[i] = copy[i]! ^ 1;
  return copy;
}

/**
 * The contact-voucher requests through the client, run against the real
 * kpclientd and the simulator: the two lists must be equal. Sizes of every
 * field, the mutated caps' layout, and the codes for tampered or wrong
 * inputs — positions in the payload (`Alice`, 457 bytes) and in the sealed
 * reply (`hi`, 358 bytes) from hpqc's canonical CBOR layout:
 * payload[2..14] the key "VoucherPubKey", [17..48] the X25519 half of the
 * reply key, [49..176] its CTIDH half, [223..227] the name, [245..380] the
 * read cap; sealed[2..9] the key "Envelope", [12..98] the envelope.
 */
export async function voucherProbes(client: ThinClient): Promise<ProbeOutcome[]> {
  const probes: ProbeOutcome[] = [];
  const probe = async <T>(name: string, request: Observable<T>, describe: (value: T) => string = () => 'ok'): Promise<void> => {
    probes.push({ probe: name, outcome: await settle(client, request, describe) });
  };
  const { writeCap, readCap } = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(9)));
  const minted = await firstValueFrom(client.voucherMint(writeCap, 'Alice'));
  const other = await firstValueFrom(client.voucherMint(writeCap, 'Alice'));
  const voucher = minted.voucher.exposeBytes();
  const payload = minted.voucherPayload;

  await probe('voucher_mint', client.voucherMint(writeCap, 'Alice'), (m) =>
    [
      `ok ${m.voucher.length}/${m.voucherPayload.length}/${m.voucherWriteCap.length}/${m.voucherReadCap.length}/${m.voucherSecretKey.length}/${m.voucherPublicKey.length}`,
      `voucher=hash(payload) ${bytesEqual(blake2b256(m.voucherPayload), m.voucher.exposeBytes())}`,
      `fresh ${!m.voucher.equals(voucher)}`,
      `read cap in payload ${Buffer.from(m.voucherPayload).includes(Buffer.from(readCap))}`,
    ].join(', '),
  );
  await probe('voucher_mint(name of 24 bytes)', client.voucherMint(writeCap, 'x'.repeat(24)), (m) => `ok payload ${m.voucherPayload.length}`);
  await probe('voucher_mint(all-zero cap)', client.voucherMint(new Uint8Array(168), 'x'));
  await probe('voucher_derive_stream', client.voucherDeriveStream(voucher), (s) =>
    `ok ${s.voucherWriteCap.length}/${s.voucherReadCap.length}, as minted ${s.voucherWriteCap.equals(minted.voucherWriteCap) && bytesEqual(s.voucherReadCap, minted.voucherReadCap)}`,
  );

  const inducted = await firstValueFrom(client.voucherInduct(voucher, payload, new TextEncoder().encode('hi')));
  await probe('voucher_induct', client.voucherInduct(voucher, payload, new TextEncoder().encode('hi')), (r) =>
    [
      `ok ${r.displayName} ${r.mutatedMessageReadCap.length}/${r.sealedReply.length}/${r.voucherWriteCap.length}/${r.voucherReadCap.length}/${r.salt.length}`,
      `root key kept ${bytesEqual(r.mutatedMessageReadCap.subarray(0, 32), readCap.subarray(0, 32))}`,
      `idx64 kept ${bytesEqual(r.mutatedMessageReadCap.subarray(32, 40), readCap.subarray(32, 40))}`,
      `index re-derived ${!bytesEqual(r.mutatedMessageReadCap.subarray(40), readCap.subarray(40))}`,
    ].join(', '),
  );
  await probe('voucher_induct(empty reply)', client.voucherInduct(voucher, payload, new Uint8Array(0)), (r) => `ok sealed ${r.sealedReply.length}`);
  await probe('voucher_induct(tampered payload, same voucher)', client.voucherInduct(voucher, flip(payload, 300), new Uint8Array(1)));
  for (const [what, at] of [
    ['the key name VoucherPubKey', 5],
    ['X25519 half of the reply key', 20],
    ['CTIDH half of the reply key', 100],
    ['the display name', 224],
    ['the read cap', 300],
    ['the signature', 420],
    ['the CBOR map head', 0],
  ] as const) {
    const forged = flip(payload, at);
    await probe(`voucher_induct(${what} tampered, voucher recomputed)`, client.voucherInduct(blake2b256(forged), forged, new Uint8Array(1)));
  }

  const open = (secretKey: Uint8Array, sealed: Uint8Array, cap: Uint8Array | typeof writeCap = writeCap) => client.voucherOpen(secretKey, sealed, cap);
  const key = minted.voucherSecretKey.exposeBytes();
  await probe('voucher_open', open(key, inducted.sealedReply), (o) =>
    [
      `ok who=${new TextDecoder().decode(o.whoReply)} ${o.salt.length}/${o.mutatedMessageWriteCap.length}`,
      `salt as inducted ${bytesEqual(o.salt, inducted.salt)}`,
      `read cap of it = inducted ${bytesEqual(o.mutatedMessageWriteCap.exposeBytes().subarray(32), inducted.mutatedMessageReadCap)}`,
    ].join(', '),
  );
  await probe('voucher_open(wrong key: another mint)', open(other.voucherSecretKey.exposeBytes(), inducted.sealedReply));
  await probe('voucher_open(random key)', open(Uint8Array.from({ length: 162 }, (_, i) => (i * 89 + 7) & 0xff), inducted.sealedReply));
  await probe('voucher_open(envelope tampered)', open(key, flip(inducted.sealedReply, 50)));
  await probe('voucher_open(key name Envelope tampered)', open(key, flip(inducted.sealedReply, 4)));
  await probe('voucher_open(right key, an all-ones cap)', open(key, inducted.sealedReply, new Uint8Array(168).fill(1)), (o) => `ok ${o.mutatedMessageWriteCap.length}`);
  return probes;
}
