import { buildModuleFiles, installDaemon, recipeHash, HPQC_PINNED, HPQC_REPLACEMENT } from './install-daemon.js';

describe('install recipe', () => {
  it('replaces the pinned hpqc and stubs falcon/sqisign with hpqc-checked sizes', () => {
    const files = buildModuleFiles();
    expect(files['go.mod']).toContain(`replace github.com/katzenpost/hpqc ${HPQC_PINNED} => github.com/katzenpost/hpqc ${HPQC_REPLACEMENT}`);
    expect(files['stubs/falcon/padded512/stub.go']).toMatch(/SignatureSize\s+= 666\b/);
    expect(files['stubs/falcon/padded1024/stub.go']).toMatch(/SignatureSize\s+= 1280\b/);
    expect(files['stubs/sqisign/sqisign/stub.go']).toContain('func KeyGen(');
  });

  it('hashes the recipe deterministically and per Go version', () => {
    expect(recipeHash('go1.26.8 linux/amd64')).toBe(recipeHash('go1.26.8 linux/amd64'));
    expect(recipeHash('go1.26.8 linux/amd64')).not.toBe(recipeHash('go1.26.9 linux/amd64'));
  });

  it('skips with a one-line reason when go cannot be run', async () => {
    const lines: string[] = [];
    const result = await installDaemon({ go: '/nonexistent/go', cacheDir: '/nonexistent/cache', log: (l) => lines.push(l) });
    expect(result.status).toBe('skipped');
    if (result.status === 'skipped') {
      expect(result.reason).toMatch(/^skipped: Go toolchain not available/);
      expect(result.reason).not.toContain('\n');
    }
    expect(lines).toEqual([]);
  });
});
