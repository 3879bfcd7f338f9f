import { EPOCH_GENESIS_MS, ManualSimClock } from '../../src/sim/index.js';
import { SimPki, type SimPkiOptions } from '../../src/sim/sim-pki.js';

const period = 60_000;
const options = (autoAdvanceEpochs: boolean): SimPkiOptions => ({
  epochPeriodMs: period,
  autoAdvanceEpochs,
  hasDocument: true,
  storageReplicas: 2,
  mixLayers: 1,
  lambdaP: 0.001,
  mu: 0.005,
});

describe('SimPki epochs', () => {
  // 10 simulated ms before the boundary into epoch 1000.
  const start = EPOCH_GENESIS_MS + 1000 * period - 10;

  it('follow the clock with autoAdvanceEpochs, keeping the previous document for one epoch', () => {
    const clock = new ManualSimClock(start);
    const pki = new SimPki(clock, options(true));
    expect(pki.currentEpoch()).toBe(999);
    clock.advance(10);
    expect(pki.currentEpoch()).toBe(1000);
    expect(pki.currentDocumentEpoch()).toBe(1000);
    expect(pki.isCached(999)).toBe(true);
    pki.dispose();
  });

  it('stay frozen without autoAdvanceEpochs however far the clock moves; publish() advances them', () => {
    const clock = new ManualSimClock(start);
    const pki = new SimPki(clock, options(false));
    clock.advance(5 * period);
    expect(pki.currentEpoch()).toBe(999);
    expect(pki.currentDocumentEpoch()).toBe(999);
    expect(pki.publish()).toBe(1000);
    expect(pki.currentEpoch()).toBe(1000);
    expect(pki.isCached(999)).toBe(true);
    pki.dispose();
  });
});
