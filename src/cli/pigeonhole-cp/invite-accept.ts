import { readFile, unlink } from 'node:fs/promises';
import { firstValueFrom } from 'rxjs';
import { encodeReadCapability } from '../../channels/read-capability.js';
import { writeFileAtomic } from '../../channels/atomic-write-file.js';
import type { ExchangeOptions } from '../../client/contacts/contact-exchange.js';
import { encodeInvite } from '../../client/contacts/invite-code.js';
import { decodePendingInvite, encodePendingInvite, type PendingInvite } from '../../client/contacts/pending-invite.js';
import type { ThinClient } from '../../client/thin-client.js';
import { fromBase64Url, toBase64Url } from '../../core/base64url.js';
import { cryptoRandom } from '../../core/random-source.js';
import { ConfigError, InvalidArgumentError, InviteClosedError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { printResult, type CommandContext } from './cli-io.js';
import { loadKeyFile } from './key-file.js';

/*
 * `invite` and `accept`: the contact exchange set up for a transfer, so
 * that neither side pastes a raw capability to the other. The receiver
 * invites (the joiner); the sender accepts with its key file (the
 * inductor) and so hands the receiver its channel's read capability,
 * starting at the next file it sends. The receiver's own channel in the
 * exchange is a throwaway: a transfer goes one way.
 */

/** Looks for the answer every 2 s at first, then at most every 30 s. */
const POLL: ExchangeOptions = { initialDelayMs: 2_000, maxDelayMs: 30_000 };

/** The pending invite file: the encoded pending invite in base64url, one line. Secret, mode 0600. */
async function loadPendingInvite(path: string): Promise<PendingInvite | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the pending invite file (${String((error as { code?: unknown }).code ?? error)})`, { file: path, cause: error });
  }
  const bytes = fromBase64Url(text.trim());
  try {
    if (bytes === null) throw new InvalidArgumentError('pending', 'not base64url');
    return decodePendingInvite(bytes);
  } catch (error) {
    throw new ConfigError('not a pigeonhole-cp pending invite file', { file: path, cause: error });
  }
}

/**
 * `invite`: the receiver's side. Publishes a new invite and keeps it in
 * `pendingPath` (created 0600) — or, when that file exists, resumes the
 * wait for it — prints the invite string for the sender, waits for the
 * answer and prints the sender's read capability for `receive --cap`. The
 * pending file is removed once the answer is read.
 */
export async function inviteSender(ctx: CommandContext, client: ThinClient, pendingPath: string, displayName: string): Promise<void> {
  let pending = await loadPendingInvite(pendingPath);
  if (pending === null) {
    const throwaway = await firstValueFrom(client.newKeypair(cryptoRandom(WireSizes.seed)));
    const invitation = await firstValueFrom(client.invite(throwaway.writeCap, displayName));
    pending = invitation.pending;
    await writeFileAtomic(pendingPath, `${toBase64Url(encodePendingInvite(pending).exposeBytes())}\n`, 0o600);
  }
  const invite = encodeInvite(pending.voucher);
  printResult(ctx, `invite (give this to the sender, who runs: pigeonhole-cp accept <invite> --key <their key file>):\n${invite}\nwaiting for the answer…`, {
    event: 'invite',
    invite,
    pendingFile: pendingPath,
  });
  const sender = await firstValueFrom(client.awaitAcceptance(pending, POLL));
  const cap = encodeReadCapability({ readCap: sender.readCap, startIndex: sender.readIndex });
  printResult(ctx, `${sender.displayName} accepted; receive their files with:\npigeonhole-cp receive <dir> --cap ${cap}`, {
    event: 'accepted',
    sender: sender.displayName,
    readCapability: cap,
  });
  await unlink(pendingPath).catch(() => undefined);
}

/**
 * `accept`: the sender's side. Answers the invite with the read capability
 * of the key file's channel from its next file on, so the receiver gets
 * what is sent from now.
 */
export async function acceptInvite(ctx: CommandContext, client: ThinClient, invite: string, keyPath: string, displayName: string): Promise<void> {
  const key = await loadKeyFile(keyPath);
  let receiver;
  try {
    receiver = await firstValueFrom(client.acceptInvite(invite, { displayName, readCap: key.readCap, startIndex: key.nextIndex }, POLL));
  } catch (error) {
    if (!(error instanceof InviteClosedError)) throw error;
    throw new InviteClosedError('it may have been answered by an earlier run of this command; if so, the receiver has your capability — ask them');
  }
  printResult(ctx, `answered the invite of ${receiver.displayName}: they receive what you send with --key ${keyPath} from now on`, {
    event: 'accepted',
    receiver: receiver.displayName,
    keyFile: keyPath,
  });
}
