import { spawnSync } from 'node:child_process';

/**
 * `npm ci` refuses a lockfile without entries for optional platform
 * packages that our registry does not serve (see scripts/complete-lockfile.mjs).
 */
describe('package-lock.json', () => {
  it('has an entry for every optional platform package, so `npm ci` accepts it', () => {
    const run = spawnSync(process.execPath, ['scripts/complete-lockfile.mjs', '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
