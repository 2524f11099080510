import type { AemEvent } from '@aem/core';
import type { TimerExpiration } from '@aem/timers';
import { capsuleTask } from '../capsule/capsule-task';
import type { AppContainer } from '../container/app-container';
import { CAPSULE } from '../container/tokens';
import {
  handlerMethodsOf,
  type HandlerKind,
  type HandlerMethod,
} from '../decorators/handler-metadata';
import type { RestartBudget } from '../supervision/restart-budget';
import type { HandlerModule } from './handler-module';

/** @internal A decorated method bound to its instance. */
export interface BoundHandler {
  readonly name: string;
  readonly ms?: number;
  readonly once?: boolean;
  readonly call: (...args: unknown[]) => unknown;
}

/** @internal Lifecycle hooks a handler class may implement. */
interface Hooks {
  onStart?(): void | Promise<void>;
  onStop?(): void | Promise<void>;
}

/**
 * @internal One loaded version of the handler code: its own child container and instances.
 * `current` serves new sessions; `draining` only finishes its live sessions; `retired` is gone.
 */
export class HandlerVersion {
  status: 'starting' | 'current' | 'draining' | 'retired' = 'starting';
  sessions = 0;
  /** Async `@OnDatagram` handlers of this version still running. */
  datagramsInFlight = 0;
  timers: { event: AemEvent<TimerExpiration>; budget: RestartBudget }[] = [];
  readonly handlers: Record<HandlerKind, BoundHandler[]> = {
    connection: [],
    message: [],
    close: [],
    datagram: [],
    timer: [],
  };
  private readonly instances: Hooks[] = [];
  private started = 0;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly module: HandlerModule,
    readonly container: AppContainer,
  ) {
    for (const cls of module.handlers) container.bindClass(cls);
  }

  get version(): string {
    return this.module.version;
  }

  /** Nothing of this version is left running: no session, no async datagram handler. */
  get idle(): boolean {
    return this.sessions === 0 && this.datagramsInFlight === 0;
  }

  /** Constructs the classes (in order), binds their handlers, awaits their `onStart`. */
  async start(): Promise<void> {
    for (const cls of this.module.handlers) {
      const instance = this.container.get(cls) as Hooks & Record<string | symbol, unknown>;
      this.instances.push(instance);
      for (const { kind, method, ms, once, pool } of handlerMethodsOf(cls)) {
        const fn = instance[method] as (...args: unknown[]) => unknown;
        this.handlers[kind].push({
          name: `${cls.name}.${String(method)}`,
          ms,
          once,
          call:
            pool === undefined
              ? (...args) => fn.apply(instance, args)
              : this.pooled(pool, fn, instance),
        });
      }
    }
    for (const instance of this.instances) {
      await instance.onStart?.();
      this.started++;
    }
  }

  /**
   * A message handler whose first step runs in the capsule pool: the message's data goes to a
   * worker, then the method runs here with `(result, message, session)`. The task carries this
   * version's name, so after a hot upgrade the workers load the new file for the new version's
   * sessions while jobs of older sessions finish on the code they were given.
   */
  private pooled(
    { task, timeoutMs }: NonNullable<HandlerMethod['pool']>,
    fn: (...args: unknown[]) => unknown,
    instance: object,
  ): (...args: unknown[]) => Promise<unknown> {
    const versioned = capsuleTask(task.module, task.exportName, this.version);
    const pool = this.container.get(CAPSULE);
    const options = timeoutMs === undefined ? {} : { timeoutMs };
    return async (message, ...rest) => {
      const result = await pool.run(versioned, (message as { data: unknown }).data, options);
      return fn.call(instance, result, message, ...rest);
    };
  }

  /** True once `stop` was called (it may still be awaiting `onStop` hooks). */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /** Awaits `onStop` of the started instances, in reverse order. Idempotent. */
  stop(onError: (error: unknown) => void): Promise<void> {
    return (this.stopped ??= this.stopHooks(onError));
  }

  private async stopHooks(onError: (error: unknown) => void): Promise<void> {
    for (const event of this.timers) event.event.shutdown();
    this.timers = [];
    while (this.started > 0) {
      const instance = this.instances[--this.started];
      try {
        await instance.onStop?.();
      } catch (error) {
        onError(error);
      }
    }
    this.status = 'retired';
  }
}
