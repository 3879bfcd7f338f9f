/** Jest runs the TypeScript sources directly (ts-jest, native ESM). */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/spec', '<rootDir>/marbles', '<rootDir>/testnet'],
  testMatch: ['**/*.spec.ts', '**/*.marble.ts'],
  moduleNameMapper: {
    // Examples and specs import the package by name, as users do.
    '^katzenpost-rx$': '<rootDir>/src/index.ts',
    '^katzenpost-rx/(sim|testing)$': '<rootDir>/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // On CI a leaked handle must not turn into a 90-minute hang; locally, a
  // hang is a bug to find (run with --detectOpenHandles).
  forceExit: process.env.CI === 'true',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};
