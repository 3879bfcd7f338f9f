import { buildModuleFiles, installKatzenpost, recipeHash, GO_INSTALL_FLAGS, HPQC_PINNED, HPQC_REPLACEMENT, KATZENPOST_COMMANDS } from './install-katzenpost.js';

describe('install recipe', () => {
  it('replaces the pinned hpqc and stubs falcon/sqisign with hpqc-checked sizes', () => {
    const files = buildModuleFiles();
    expect(files['go.mod']).toContain(`replace github.com/katzenpost/hpqc ${HPQC_PINNED} => github.com/katzenpost/hpqc ${HPQC_REPLACEMENT}`);
    expect(files['stubs/falcon/padded512/stub.go']).toMatch(/SignatureSize\s+= 666\b/);
    expect(files['stubs/falcon/padded1024/stub.go']).toMatch(/SignatureSize\s+= 1280\b/);
    expect(files['stubs/sqisign/sqisign/stub.go']).toContain('func KeyGen(');
  });

  it('builds every command of the network with the docker Makefile flags (warped epochs, reproducible)', () => {
    expect([...KATZENPOST_COMMANDS].sort()).toEqual(['courier', 'dirauth', 'genconfig', 'kpclientd', 'kpconfig', 'replica', 'server']);
    expect(GO_INSTALL_FLAGS).toContain('-trimpath');
    expect(GO_INSTALL_FLAGS.join(' ')).toContain('-X github.com/katzenpost/katzenpost/core/epochtime.WarpedEpoch=true');
  });

  it('hashes the recipe deterministically and per Go version', () => {
    expect(recipeHash('go1.26.8 linux/amd64')).toBe(recipeHash('go1.26.8 linux/amd64'));
    expect(recipeHash('go1.26.8 linux/amd64')).not.toBe(recipeHash('go1.26.9 linux/amd64'));
  });

  it('skips with a one-line reason when go cannot be run', async () => {
    const lines: string[] = [];
    const result = await installKatzenpost({ go: '/nonexistent/go', cacheRoot: '/nonexistent/cache', log: (l) => lines.push(l) });
    expect(result.status).toBe('skipped');
    if (result.status === 'skipped') {
      expect(result.reason).toMatch(/^skipped: Go toolchain not available/);
      expect(result.reason).not.toContain('\n');
    }
    expect(lines).toEqual([]);
  });
});
