/**
 * katzenpost-rx/testing: test code built on the SDK — marble tests in
 * virtual time against a faithful simulated daemon, with scripted answers
 * where a test needs exact control, and the real-socket simulator.
 *
 * @example
 * import { createVirtualDaemon, replyTo } from 'katzenpost-rx/testing';
 *
 * @packageDocumentation
 * @module katzenpost-rx/testing
 */
export { createVirtualDaemon } from './virtual-daemon.js';
export type { ScriptedResponder, VirtualDaemon, VirtualDaemonOptions } from './virtual-daemon.js';
export { replyTo, startResendingReply } from './replies.js';
export { SchedulerSimClock } from './scheduler-sim-clock.js';
export { startSimulator } from '../sim/index.js';
export type { SimulatorHandle, SimulatorOptions } from '../sim/index.js';
// The simulator's fake BACAP, to know caps and indices without a round trip.
export { idx64, keypairFromSeed, nextIndex } from '../sim/pigeonhole/fake-bacap.js';
export type { FakeKeypair } from '../sim/pigeonhole/fake-bacap.js';
