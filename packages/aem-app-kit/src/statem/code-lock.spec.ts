import type { Aem } from '@aem/core';
import type { Timers } from '@aem/timers';
import type { VirtualClock } from '@aem/timers/testing';
import { flush, virtualTimers } from './virtual-timers.spec-helper';
import { StateMachineStoppedError } from '../errors/state-machine-stopped.error';
import { StateMachine, type StateActions } from './state-machine';

// The code lock of the OTP design principles' gen_statem chapter (state functions), step by
// step as the chapter grows it: the state timeout that relocks the door, the event timeout that
// clears the pressed buttons, the generic timeout, postponing buttons pressed while open, and a
// call answered with a reply action (`code_length`).

type LockState = 'locked' | 'open';
type LockEvent = { readonly button: number } | 'code_length';
interface LockData {
  readonly code: readonly number[];
  buttons: number[];
}

describe('StateMachine: the OTP code lock', () => {
  let clock: VirtualClock;
  let runtime: Aem;
  let timers: Timers;
  let log: string[];

  beforeEach(() => {
    ({ clock, runtime, timers } = virtualTimers());
    log = [];
  });
  afterEach(() => runtime.close());

  interface Variant {
    /** How the open door relocks: `state_timeout` or a generic `{timeout, open}`. */
    readonly relock: 'state' | 'generic';
    /** Buttons pressed while open are postponed to `locked` (else dropped). */
    readonly postpone?: boolean;
  }

  function codeLock(variant: Variant = { relock: 'state' }) {
    const domain = runtime.createDomain('lock');
    return new StateMachine<LockState, LockData, LockEvent, 'lock', number>({
      timers,
      domain,
      initial: 'locked',
      data: { code: [1, 2, 3, 4], buttons: [] },
      states: {
        locked: (ev, m) => {
          if (ev.type === 'enter') log.push('do_lock');
          else if (ev.type === 'event-timeout') {
            m.data.buttons = []; // locked(timeout, _, Data) -> buttons := []
            log.push('buttons cleared');
          } else if (ev.type === 'event') {
            if (ev.event === 'code_length') return m.reply(ev.from!, m.data.code.length);
            const { code, buttons } = m.data;
            const pressed = [
              ...(buttons.length < code.length ? buttons : buttons.slice(1)),
              ev.event.button,
            ];
            if (pressed.join() === code.join()) {
              m.data.buttons = [];
              m.next('open');
              if (variant.relock === 'state') m.stateTimeout(10_000, 'lock');
              else m.timeout('open', 10_000, 'lock');
            } else {
              m.data.buttons = pressed;
              m.eventTimeout(30_000, 'lock'); // {next_state, locked, ..., 30000}
            }
          }
        },
        open: (ev, m) => {
          if (ev.type === 'enter') log.push('do_unlock');
          else if (ev.type === 'state-timeout' || ev.type === 'timeout') {
            log.push(`relock by ${ev.type} ${ev.payload}`);
            m.next('locked');
          } else if (ev.type === 'event') {
            if (ev.event === 'code_length') return m.reply(ev.from!, m.data.code.length);
            if (variant.postpone) m.postpone();
            else log.push(`ignored ${ev.event.button}`);
          }
        },
      },
    });
  }

  const press = (lock: ReturnType<typeof codeLock>, ...buttons: number[]) =>
    buttons.reduce((done, button) => done.then(() => lock.send({ button })), Promise.resolve());

  it('opens on the right code and relocks by its state timeout after 10 s', async () => {
    const lock = codeLock();
    await lock.start();
    await press(lock, 9, 1, 2, 3, 4);
    expect(lock.state).toBe('open');
    expect(lock.armedTimeouts).toEqual(['state']);
    clock.advance(9_999);
    await flush();
    expect(lock.state).toBe('open');
    clock.advance(1);
    await flush();
    expect(lock.state).toBe('locked');
    expect(log).toEqual(['do_lock', 'do_unlock', 'relock by state-timeout lock', 'do_lock']);
  });

  it('a wrong code keeps it locked; the event timeout clears the buttons after 30 s of silence', async () => {
    const lock = codeLock();
    await lock.start();
    await press(lock, 1, 2);
    expect(lock.armedTimeouts).toEqual(['event']);
    clock.advance(20_000);
    await flush();
    await press(lock, 3); // any event cancels the event timeout; this one re-arms it
    clock.advance(20_000);
    await flush();
    expect(lock.data.buttons).toEqual([1, 2, 3]);
    clock.advance(10_000);
    await flush();
    expect(lock.data.buttons).toEqual([]);
    expect(log).toContain('buttons cleared');
    await press(lock, 4);
    expect(lock.state).toBe('locked'); // 1, 2, 3 were forgotten
  });

  it('relocks by a generic timeout too, which a state change does not cancel', async () => {
    const lock = codeLock({ relock: 'generic' });
    await lock.start();
    await press(lock, 1, 2, 3, 4);
    expect(lock.armedTimeouts).toEqual(['open']);
    clock.advance(10_000);
    await flush();
    expect(log).toContain('relock by timeout lock');
    expect(lock.state).toBe('locked');
  });

  it('without postpone, buttons pressed while open are lost', async () => {
    const lock = codeLock();
    await lock.start();
    await press(lock, 1, 2, 3, 4, 1, 2);
    expect(log).toContain('ignored 1');
    clock.advance(10_000);
    await flush();
    await press(lock, 3, 4);
    expect(lock.state).toBe('locked');
  });

  it('postponed buttons are delivered in order after the door locks again', async () => {
    const lock = codeLock({ relock: 'state', postpone: true });
    await lock.start();
    await press(lock, 1, 2, 3, 4, 1, 2, 3);
    expect(lock.postponedEvents).toBe(3);
    clock.advance(10_000);
    await flush();
    expect(lock.postponedEvents).toBe(0);
    expect(lock.data.buttons).toEqual([1, 2, 3]); // replayed into 'locked'
    await press(lock, 4);
    expect(lock.state).toBe('open');
  });

  it('answers a call with a reply action; a postponed call is answered later', async () => {
    const lock = codeLock({ relock: 'state' });
    await lock.start();
    expect(await lock.call('code_length')).toBe(4);
    await press(lock, 1, 2, 3, 4);
    expect(await lock.call('code_length')).toBe(4);
  });

  it('a call the machine never answers rejects when it stops', async () => {
    const lock = codeLock({ relock: 'state', postpone: true });
    await lock.start();
    await press(lock, 1, 2, 3, 4);
    const pending = lock.call({ button: 7 }); // postponed while open: no reply
    await flush();
    lock.stop('shutdown');
    await expect(pending).rejects.toBeInstanceOf(StateMachineStoppedError);
    await expect(lock.call('code_length')).rejects.toMatchObject({
      code: 'AEM_APP_STATEM_STOPPED',
    });
  });

  it('refuses to postpone an enter event', async () => {
    const machine = new StateMachine<'a', null, never>({
      timers,
      initial: 'a',
      data: null,
      states: { a: (_ev, m) => m.postpone() },
    });
    await expect(machine.start()).rejects.toMatchObject({ code: 'AEM_APP_INVALID_HANDLER' });
  });

  it('types timeout payloads (compiled, not run)', () => {
    const check = (m: StateActions<LockState, LockData, 'lock', number>): void => {
      m.stateTimeout(1, 'lock');
      // @ts-expect-error the payload type is 'lock'
      m.stateTimeout(1, 'unlock');
      // @ts-expect-error a payload is required when T excludes undefined
      m.eventTimeout(1);
    };
    expect(typeof check).toBe('function');
  });
});
