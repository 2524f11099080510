// Type-level tests: `npm test` type-checks this file with `tsc -p tsconfig.spec.json` before jest
// runs, so every `@ts-expect-error` below must really be an error (an unused one fails the build).
import { firstValueFrom, type Observable } from 'rxjs';
import { createAem } from '../aem';
import type { AemEvent } from '../event/aem-event';
import type { CallArgs, CallPayload, ServiceState } from './service-definition';
import { defineCall } from './service-definition';
import { defineService } from './define-service';

interface Reading {
  readonly sensor: string;
  readonly value: number;
}

const sensors = defineService({
  name: 'sensors',
  version: '1.0.0',
  calls: {
    watch: defineCall<{ sensor: string }, Reading>((ctx, args) => {
      queueMicrotask(() => ctx.activate({ sensor: args.sensor, value: 42 }));
    }),
    count: defineCall<{ upTo: number }, number>((ctx, args) => {
      queueMicrotask(() => ctx.activate(args.upTo));
    }),
  },
});

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const assertType = <T extends true>(_check?: T): void => undefined;

assertType<Exact<CallArgs<typeof sensors, 'watch'>, { sensor: string }>>();
assertType<Exact<CallPayload<typeof sensors, 'watch'>, Reading>>();
assertType<Exact<CallPayload<typeof sensors, 'count'>, number>>();

// A service's state reaches its own client typed, through the binding (no registry of its own).
const counter = defineService({
  name: 'counter',
  version: '1.0.0',
  setup: () => ({ ticks: 0 }),
  calls: {
    tick: defineCall<{ by: number }, number, { ticks: number }>((ctx, args, state) => {
      state.ticks += args.by;
      queueMicrotask(() => ctx.activate(state.ticks));
    }),
  },
});
assertType<Exact<ServiceState<typeof counter>, { ticks: number }>>();

describe('ServiceBinding types', () => {
  it('types call names, arguments, payloads and context from the definition', async () => {
    const runtime = createAem();
    runtime.load(sensors);
    const binding = runtime.bind(sensors);

    const event = binding.call(
      'watch',
      { sensor: 'temp' },
      (reading, ev) => {
        const value: number = reading.value;
        const user: string = ev.context.user;
        // @ts-expect-error the payload is a Reading, not a string
        const wrong: string = reading;
        void [value, user, wrong];
      },
      { context: { user: 'ops' } },
    );
    assertType<Exact<typeof event, AemEvent<Reading, { user: string }>>>();

    // @ts-expect-error unknown call name
    expect(() => binding.call('nope', { sensor: 'x' }, () => undefined)).toThrow(
      /one of watch, count/,
    );
    // @ts-expect-error wrong argument shape
    expect(() => binding.call('count', { sensor: 'x' }, () => undefined)).not.toThrow();

    const counted = binding.once('count', { upTo: 3 });
    assertType<Exact<typeof counted, Promise<number>>>();
    await expect(counted).resolves.toBe(3);

    const readings = binding.observe('watch', { sensor: 'hum' });
    assertType<Exact<typeof readings, Observable<Reading>>>();
    await expect(firstValueFrom(readings)).resolves.toEqual({ sensor: 'hum', value: 42 });

    event.shutdown();
    runtime.close();
  });

  it('hands each runtime’s state of a service to its bindings, typed', async () => {
    const first = createAem();
    const second = createAem();
    first.load(counter);
    second.load(counter);
    const binding = first.bind(counter);
    assertType<Exact<typeof binding.state, { ticks: number }>>();
    await expect(binding.once('tick', { by: 2 })).resolves.toBe(2);
    expect(first.bind(counter).state).toEqual({ ticks: 2 });
    expect(second.bind(counter).state).toEqual({ ticks: 0 });
    first.close();
    second.close();
  });
});
