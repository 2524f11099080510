import type { Aem } from '@aem/core';
import type { Timers } from '@aem/timers';
import type { VirtualClock } from '@aem/timers/testing';
import { flush, virtualTimers } from './virtual-timers.spec-helper';
import { StateMachine } from './state-machine';

type S = 'calling' | 'proceeding' | 'terminated';
type E = 'provisional' | 'final';

describe('StateMachine', () => {
  let clock: VirtualClock;
  let runtime: Aem;
  let timers: Timers;
  let log: string[];

  beforeEach(() => {
    ({ clock, runtime, timers } = virtualTimers());
    log = [];
  });
  afterEach(() => runtime.close());

  // A SIP non-INVITE client transaction: timer F as the state timeout, timer E as a named one.
  function transaction(domainName = 'tx'): StateMachine<S, { retransmits: number }, E> {
    return new StateMachine<S, { retransmits: number }, E>({
      timers,
      domain: runtime.createDomain(domainName),
      initial: 'calling',
      data: { retransmits: 0 },
      onStop: (reason) => log.push(`stop:${reason}`),
      states: {
        calling: (ev, m) => {
          log.push(`calling:${ev.type}`);
          if (ev.type === 'enter') {
            m.stateTimeout(32_000);
            m.timeout('E', 500, undefined, { scope: 'state' });
          } else if (ev.type === 'timeout') {
            m.data.retransmits++;
            m.timeout('E', 500 * 2 ** m.data.retransmits, undefined, { scope: 'state' });
          } else if (ev.type === 'state-timeout') {
            m.next('terminated');
          } else if (ev.type === 'event' && ev.event === 'provisional') {
            m.next('proceeding');
          }
        },
        proceeding: (ev, m) => {
          log.push(`proceeding:${ev.type}`);
          if (ev.type === 'enter') m.stateTimeout(5_000);
          else if (ev.type === 'event' && ev.event === 'final') m.next('terminated');
          else if (ev.type === 'state-timeout') m.next('terminated');
        },
        terminated: (ev, m) => {
          log.push(`terminated:${ev.type}`);
          if (ev.type === 'enter') m.stop('done');
        },
      },
    });
  }

  describe('state timeout', () => {
    it('fires after its delay on the virtual clock, and not before', async () => {
      const tx = transaction();
      await tx.start();
      clock.advance(31_999);
      await flush();
      expect(tx.state).toBe('calling');
      clock.advance(1);
      await flush();
      expect(tx.state).toBe('terminated');
      expect(tx.stopped).toBe('done');
      expect(log).toContain('calling:state-timeout');
    });

    it('is cancelled by a state change; the new state gets its own', async () => {
      const tx = transaction();
      await tx.start();
      await tx.send('provisional');
      expect(tx.state).toBe('proceeding');
      expect(tx.armedTimeouts).toEqual(['state']); // the new state's, E went with 'calling'
      clock.advance(4_999);
      await flush();
      expect(tx.state).toBe('proceeding');
      clock.advance(1); // proceeding's state timeout
      await flush();
      expect(tx.state).toBe('terminated');
      clock.advance(32_000); // calling's timer F would have fired here
      await flush();
      expect(log).not.toContain('calling:state-timeout');
      expect(log).toContain('proceeding:state-timeout');
    });
  });

  describe('named timeouts', () => {
    it('re-arm with back-off and count retransmissions', async () => {
      const tx = transaction();
      await tx.start();
      clock.advance(500); // E1
      await flush();
      clock.advance(1000); // E2
      await flush();
      clock.advance(2000); // E3
      await flush();
      expect(tx.data.retransmits).toBe(3);
      expect(tx.armedTimeouts).toEqual(['state', 'E']);
    });

    it('machine-scoped timeouts survive state changes; cancelTimeout stops them', async () => {
      const fired: string[] = [];
      const m = new StateMachine<'a' | 'b', null, 'go' | 'cancel'>({
        timers,
        initial: 'a',
        data: null,
        states: {
          a: (ev, act) => {
            if (ev.type === 'enter') act.timeout('keep', 100);
            if (ev.type === 'event') act.next('b');
          },
          b: (ev, act) => {
            if (ev.type === 'timeout') fired.push(ev.name);
            if (ev.type === 'event' && ev.event === 'cancel') act.cancelTimeout('keep');
          },
        },
      });
      await m.start();
      await m.send('go');
      clock.advance(100);
      await flush();
      expect(fired).toEqual(['keep']);
      expect(m.armedTimeouts).toEqual([]);
    });

    it('a timeout cancelled after its expiry was queued never runs', async () => {
      const fired: string[] = [];
      const domain = runtime.createDomain('busy');
      const m = new StateMachine<'a', null, 'cancel'>({
        timers,
        domain,
        initial: 'a',
        data: null,
        states: {
          a: (ev, act) => {
            if (ev.type === 'enter') act.timeout('t', 10);
            else if (ev.type === 'timeout') fired.push('t');
            else act.cancelTimeout('t');
          },
        },
      });
      await m.start();
      // A message of the same domain, queued just before the expiry: it cancels the timeout
      // while the expiry's activation already waits behind it.
      timers.after(5, () => m.send('cancel'), { domain });
      clock.advance(10);
      await flush();
      expect(fired).toEqual([]);
    });
  });

  describe('stop', () => {
    it('cancels every timeout and ignores later events', async () => {
      const tx = transaction();
      await tx.start();
      tx.stop('abandoned');
      expect(tx.armedTimeouts).toEqual([]);
      await tx.send('provisional');
      clock.advance(60_000);
      await flush();
      expect(tx.state).toBe('calling');
      expect(log).toEqual(['calling:enter', 'stop:abandoned']);
    });
  });
});
