/**
 * The page script of spec/browser/secrets.e2e.spec.ts: the SDK as a
 * browser application bundles it (`katzenpost-rx` through the `browser`
 * build), handed to the spec on `window`.
 */
import { SecretBytes, ThinClient } from 'katzenpost-rx';
import { firstValueFrom, lastValueFrom } from 'rxjs';

(globalThis as unknown as { kprx: unknown }).kprx = { SecretBytes, ThinClient, firstValueFrom, lastValueFrom };
