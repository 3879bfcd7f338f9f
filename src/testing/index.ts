/**
 * katzenpost-rx/testing: helpers for testing applications built on the SDK.
 *
 * @packageDocumentation
 */
export { startSimulator } from '../sim/index.js';
export type { SimulatorHandle, SimulatorOptions } from '../sim/index.js';
