import { TestScheduler } from 'rxjs/testing';
import { ChannelLocks } from '../../src/channels/channel-locks.js';

// Virtual time: each holder's work is a cold marble that starts when the lock is granted.
describe('ChannelLocks', () => {
  let scheduler: TestScheduler;
  let locks: ChannelLocks;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    locks = new ChannelLocks();
  });

  it('runs holders of one name one after another, in subscription order', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(locks.hold$(['a'], () => cold('--x|'))).toBe('--x|');
      expectObservable(locks.hold$(['a'], () => cold('-y|'))).toBe('----y|');
      expectObservable(locks.hold$(['b'], () => cold('z|'))).toBe('z|');
    });
  });

  it('releases on error and on unsubscribe', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(locks.hold$(['a'], () => cold('--#'))).toBe('--#');
      expectObservable(locks.hold$(['a'], () => cold('-----x|')), '^---!').toBe('---');
      expectObservable(locks.hold$(['a'], () => cold('y|'))).toBe('----y|');
    });
  });

  it('a waiter unsubscribed early does not release the names before the holder it waited for', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(locks.hold$(['a'], () => cold('-----x|'))).toBe('-----x|');
      expectObservable(locks.hold$(['a'], () => cold('y|')), '^-!').toBe('--');
      expectObservable(locks.hold$(['a'], () => cold('z|'))).toBe('------z|');
    });
  });

  it('a holder of several names waits for each of them', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(locks.hold$(['a'], () => cold('--x|'))).toBe('--x|');
      expectObservable(locks.hold$(['b'], () => cold('-----y|'))).toBe('-----y|');
      expectObservable(locks.hold$(['a', 'b', 'a'], () => cold('z|'))).toBe('------z|');
      expectObservable(locks.hold$(['a'], () => cold('w|'))).toBe('-------w|');
    });
  });
});
