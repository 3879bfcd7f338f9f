/** Jest runs the TypeScript sources directly (ts-jest, native ESM). */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/spec', '<rootDir>/marbles', '<rootDir>/testnet'],
  testMatch: ['**/*.spec.ts', '**/*.marble.ts'],
  // SecretBytes compared by their bytes, not by their one visible property.
  setupFilesAfterEnv: ['<rootDir>/spec/support/secret-equality.ts'],
  moduleNameMapper: {
    // Examples and specs import the package by name, as users do.
    '^katzenpost-rx$': '<rootDir>/src/index.ts',
    '^katzenpost-rx/(sim|testing)$': '<rootDir>/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // On CI a leaked handle must not turn into a 90-minute hang; locally, a
  // hang is a bug to find (run with --detectOpenHandles).
  forceExit: process.env.CI === 'true',
  // A hang detector, not a speed check: specs wait on events, never on time,
  // and a loaded 2-core CI machine can be many times slower than a laptop.
  testTimeout: 120_000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};
