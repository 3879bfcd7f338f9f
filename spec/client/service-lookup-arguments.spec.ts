/**
 * The PKI lookups (getServices, getService, getDistinctCouriers) refuse a
 * bad argument before they look for a PKI document: with none yet (a client
 * that never connected) the caller still learns which argument was wrong,
 * and a good argument gets the "no document" ServiceNotFoundError.
 */
import { ThinClient } from '../../src/client/thin-client.js';
import { InvalidArgumentError, ServiceNotFoundError } from '../../src/errors/local-errors.js';

// Never connected: nothing is dialled, so any address will do.
const client = new ThinClient({ dial: { tcp: { address: '127.0.0.1:9' } } });
afterAll(() => client.close());

describe('PKI lookups without a PKI document', () => {
  it.each([
    ['getServices', 'capability', () => client.getServices(5 as never)],
    ['getService', 'capability', () => client.getService('')],
    ['getDistinctCouriers', 'n', () => client.getDistinctCouriers(0)],
    ['getDistinctCouriers', 'n', () => client.getDistinctCouriers('2' as never)],
  ])('%s refuses a bad %s with InvalidArgumentError', (_, argument, call) => {
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(expect.objectContaining({ argument }));
  });

  it.each([
    ['getServices', () => client.getServices('echo')],
    ['getService', () => client.getService('echo')],
    ['getDistinctCouriers', () => client.getDistinctCouriers(2)],
  ])('%s with a good argument: ServiceNotFoundError (no document yet)', (_, call) => {
    expect(call).toThrow(ServiceNotFoundError);
  });
});
