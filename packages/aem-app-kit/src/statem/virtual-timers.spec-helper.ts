import { createAem, type Aem } from '@aem/core';
import { Timers, createTimersService } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';

/** A runtime with a timers service on a virtual clock, for state machine specs. */
export interface VirtualTimers {
  readonly clock: VirtualClock;
  readonly runtime: Aem;
  readonly timers: Timers;
}

/** Makes a {@link VirtualTimers}; close its runtime after the test. */
export function virtualTimers(): VirtualTimers {
  const clock = new VirtualClock();
  const runtime = createAem();
  runtime.load(createTimersService({ clock }));
  return { clock, runtime, timers: new Timers(runtime) };
}

/** Lets the activations a clock advance queued run (a few event-loop turns). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
