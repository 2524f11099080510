// Type-level checks of the service's public typing (in the spirit of RxJS's $ExpectType): the
// file compiles under `tsc -p tsconfig.spec.json`, and each @ts-expect-error must stay an error.
import { createAem, type AemEvent, type CallArgs, type CallPayload } from '@aem/core';
import type { Observable } from 'rxjs';
import { VirtualClock } from './testing/virtual-clock';
import type { TimerExpiration } from './timer-expiration';
import { Timers } from './timers';
import {
  createTimersService,
  type AfterArgs,
  type EveryArgs,
  type TimersServiceDefinition,
} from './timers-service';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

describe('timers service types', () => {
  it('types call arguments and payloads from the definition', () => {
    assertType<Equal<CallArgs<TimersServiceDefinition, 'after'>, AfterArgs>>();
    assertType<Equal<CallArgs<TimersServiceDefinition, 'every'>, EveryArgs>>();
    assertType<Equal<CallPayload<TimersServiceDefinition, 'after'>, TimerExpiration>>();

    const runtime = createAem({ backend: 'userspace' });
    runtime.load(createTimersService({ clock: new VirtualClock() }));
    const timers = new Timers(runtime);
    const binding = timers.binding;

    const event: AemEvent<TimerExpiration, { call: string }> = timers.after(
      10,
      (expiration, ev) => {
        const n: number = expiration.expirations + ev.context.call.length;
        void n;
      },
      { context: { call: 'a' } },
    );
    const stream: Observable<TimerExpiration> = timers.interval(10);
    const slept: Promise<void> = timers.sleep(1);
    void stream;
    void slept.catch(() => undefined);

    // @ts-expect-error — `ms` is required
    expect(() => binding.call('after', {}, () => undefined)).toThrow();
    // @ts-expect-error — unknown call
    expect(() => binding.call('sometime', { ms: 1 }, () => undefined)).toThrow();
    // @ts-expect-error — the payload is a TimerExpiration, not a string
    timers.after(1, (text: string) => void text);

    event.shutdown();
    runtime.close();
  });
});
