/**
 * The simulator as a child process of the benchmark (spawned by
 * `sim-process.ts`). Why a separate process: the simulator does as much
 * per request as a client does (decode, answer, encode), so in the same
 * process it would share the event loop — and on this 2-core machine, the
 * core — with the client being measured, and every figure would be half
 * simulator. The real kpclientd is a separate process too; this keeps the
 * two daemons comparable.
 *
 * Protocol (Node IPC): argv[2] is the JSON `SimulatorOptions`; the child
 * sends `{ address, toml }` once listening and closes on the message `close`.
 */
import { startSimulator, type SimulatorOptions } from 'katzenpost-rx/sim';

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
const sim = await startSimulator(options);
process.send?.({ address: sim.address, toml: sim.thinClientToml() });
process.on('message', (message) => {
  if (message !== 'close') return;
  void sim.close().finally(() => process.exit(0));
});
// The parent died: do not linger.
process.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
