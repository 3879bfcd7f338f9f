/**
 * The end-to-end suite against a real mix network (spec/testnet/*.testnet.ts).
 * Run by `npm run test:testnet` (testnet/run-suite.ts), which starts the
 * network, runs this with --runInBand and stops it; the main config never
 * picks these files up (they are not *.spec.ts).
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/spec/testnet'],
  testMatch: ['**/*.testnet.ts'],
  // Each check sets its own timeout (tens of seconds per Pigeonhole operation).
  testTimeout: 300_000,
  // A check that leaves a handle open must not hold the network for ever.
  forceExit: true,
  // One line per check is printed as it finishes (spec/testnet/support); no second list per file.
  verbose: false,
};
