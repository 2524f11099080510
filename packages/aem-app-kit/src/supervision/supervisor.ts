import { Subject, type Observable } from 'rxjs';
import { SupervisorShutdownError } from '../errors/supervisor-shutdown.error';
import { RestartBudget, type RestartBudgetOptions } from './restart-budget';

/**
 * Which children a {@link Supervisor} restarts when one exits abnormally (OTP's strategies):
 * - `one_for_one`: that child only;
 * - `one_for_all`: all of them (the others are stopped in reverse order first);
 * - `rest_for_one`: that child and the ones started after it.
 *
 * @example
 * ```ts
 * const strategy: RestartStrategy = 'rest_for_one'; // a connection, then what depends on it
 * ```
 */
export type RestartStrategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/**
 * When a child is restarted (OTP's restart types): `permanent` always, `transient` only after
 * an abnormal exit, `temporary` never.
 *
 * @example
 * ```ts
 * const restart: ChildRestart = 'transient'; // a job that may finish
 * ```
 */
export type ChildRestart = 'permanent' | 'transient' | 'temporary';

/**
 * A running child, as its `start` returns it: how to stop it.
 *
 * @example
 * ```ts
 * const running: RunningChild = { stop: () => connection.close() };
 * ```
 */
export interface RunningChild {
  /** Stops the child (the supervisor stopping it, not an exit). */
  stop(): void | Promise<void>;
}

/**
 * One child of a {@link Supervisor}.
 *
 * @example
 * ```ts
 * const peer: ChildSpec = {
 *   id: 'peer',
 *   start: async (exit) => {
 *     const connection = await tcp.connect({ host, port });
 *     void connection.closed.then((info) => exit(info.error ?? 'normal'));
 *     return { stop: () => connection.close() };
 *   },
 * };
 * ```
 */
export interface ChildSpec {
  /** A name unique within the supervisor. */
  readonly id: string;
  /**
   * Starts the child. Call `exit(reason)` when it ends by itself: `'normal'` (or nothing) for a
   * normal exit, anything else (an `Error`) for a crash. A start that throws counts as a crash.
   */
  start(exit: (reason?: unknown) => void): RunningChild | Promise<RunningChild>;
  /** Default `permanent`. */
  readonly restart?: ChildRestart;
}

/**
 * Options of a {@link Supervisor}.
 *
 * @example
 * ```ts
 * const options: SupervisorOptions = { name: 'peers', strategy: 'one_for_one', intensity: 1, periodMs: 5000, now };
 * ```
 */
export interface SupervisorOptions extends RestartBudgetOptions {
  /** For errors and logs; default `supervisor`. */
  readonly name?: string;
  /** Default `one_for_one`. */
  readonly strategy?: RestartStrategy;
  /** The clock restarts are counted on (ms): the timers' clock, virtual in tests. */
  readonly now: () => number;
}

/**
 * What a {@link Supervisor} reports as it goes.
 *
 * @example
 * ```ts
 * supervisor.events.subscribe((e) => e.type === 'restart' && log.warn(e, 'child restarted'));
 * ```
 */
export type SupervisorEvent =
  | {
      /** A child exited (or its start threw). */
      readonly type: 'exit';
      /** The child's id. */
      readonly id: string;
      /** `'normal'`, or what it crashed with. */
      readonly reason: unknown;
    }
  | {
      /** A child is being started again. */
      readonly type: 'restart';
      /** The child's id. */
      readonly id: string;
    }
  | {
      /** The supervisor gave up and stopped every child. */
      readonly type: 'shutdown';
      /** Why. */
      readonly error: SupervisorShutdownError;
    };

/**
 * A child as {@link Supervisor.children} lists it.
 *
 * @example
 * ```ts
 * const down = supervisor.children.filter((child: SupervisedChild) => !child.running);
 * ```
 */
export interface SupervisedChild {
  /** The child's id. */
  readonly id: string;
  /** Whether it runs now. */
  readonly running: boolean;
}

interface ChildSlot {
  readonly spec: ChildSpec;
  running: RunningChild | undefined;
  /** Bumped on every start and stop: an `exit` of an older incarnation is ignored. */
  generation: number;
}

/**
 * An OTP-style supervisor: starts its children in order, restarts them by its
 * {@link RestartStrategy} when they exit, and gives up — stopping every child, in reverse order,
 * and resolving {@link Supervisor.terminated} with a {@link SupervisorShutdownError} — when more
 * than `intensity` restarts happen within `periodMs` (OTP's `MaxR`/`MaxT`; default 3 in 5 s, as
 * the kit's restart budget). Exits are handled one at a time; an exit reported by a child the
 * supervisor already stopped or replaced is ignored.
 *
 * @example
 * ```ts
 * const supervisor = new Supervisor([dbChild, peerChild], {
 *   name: 'backends', strategy: 'rest_for_one', intensity: 3, periodMs: 5_000,
 *   now: () => timers.wheel.now(),
 * });
 * await supervisor.start();
 * supervisor.terminated.then((error) => error && process.exit(1));
 * ```
 */
export class Supervisor {
  /** The supervisor's name. */
  readonly name: string;
  /** The strategy. */
  readonly strategy: RestartStrategy;
  /** Resolves when the supervisor stopped: with the error when it gave up, else `undefined`. */
  readonly terminated: Promise<SupervisorShutdownError | undefined>;
  private readonly slots: ChildSlot[];
  private readonly budget: RestartBudget;
  private readonly eventsOut = new Subject<SupervisorEvent>();
  private work: Promise<void> = Promise.resolve();
  private ended = false;
  private readonly shutdownSignal = Promise.withResolvers<SupervisorShutdownError | undefined>();

  /**
   * @param children - started in this order, stopped in the reverse.
   * @param options - strategy, intensity, period and clock.
   * @throws `InvalidArgumentError` (via {@link RestartBudget}) for a bad intensity or period.
   */
  constructor(
    children: readonly ChildSpec[],
    private readonly options: SupervisorOptions,
  ) {
    this.name = options.name ?? 'supervisor';
    this.strategy = options.strategy ?? 'one_for_one';
    this.budget = new RestartBudget(options);
    this.slots = children.map((spec) => ({ spec, running: undefined, generation: 0 }));
    this.terminated = this.shutdownSignal.promise;
  }

  /** Exits, restarts and the shutdown, as they happen. */
  get events(): Observable<SupervisorEvent> {
    return this.eventsOut.asObservable();
  }

  /** The children's ids and whether each runs now. */
  get children(): readonly SupervisedChild[] {
    return this.slots.map((slot) => ({ id: slot.spec.id, running: slot.running !== undefined }));
  }

  /**
   * Starts the children in order. A child whose start throws is handled as a crash (restarted
   * within the intensity).
   */
  start(): Promise<void> {
    return this.serialize(async () => {
      for (const slot of this.slots) if (!this.ended) await this.startChild(slot);
    });
  }

  /** Stops every child in reverse order; {@link Supervisor.terminated} resolves `undefined`. */
  stop(): Promise<void> {
    return this.serialize(() => this.shutdown(undefined));
  }

  private serialize(job: () => Promise<void>): Promise<void> {
    const run = this.work.then(job);
    this.work = run.catch(() => undefined);
    return run;
  }

  private async startChild(slot: ChildSlot): Promise<void> {
    if (slot.running !== undefined || this.ended) return; // already restarted by a nested exit
    const generation = ++slot.generation;
    const exit = (reason?: unknown): void => {
      if (slot.generation !== generation || this.ended) return;
      slot.running = undefined;
      slot.generation++;
      void this.serialize(() => this.exited(slot, reason ?? 'normal'));
    };
    try {
      const running = await slot.spec.start(exit);
      if (slot.generation === generation) slot.running = running;
      else await running.stop(); // it exited (or was stopped) while starting
    } catch (error) {
      if (slot.generation !== generation) return;
      slot.generation++;
      await this.exited(slot, error);
    }
  }

  private async stopChild(slot: ChildSlot): Promise<void> {
    const running = slot.running;
    slot.running = undefined;
    slot.generation++;
    await running?.stop();
  }

  private async exited(slot: ChildSlot, reason: unknown): Promise<void> {
    if (this.ended) return;
    const { id, restart = 'permanent' } = slot.spec;
    this.eventsOut.next({ type: 'exit', id, reason });
    const normal = reason === 'normal';
    if (restart === 'temporary' || (restart === 'transient' && normal)) return;
    if (this.budget.fail(this.options.now())) {
      const { recent, intensity, periodMs } = this.budget;
      await this.shutdown(
        new SupervisorShutdownError(this.name, id, recent, intensity, periodMs, reason),
      );
      return;
    }
    const index = this.slots.indexOf(slot);
    const affected =
      this.strategy === 'one_for_one'
        ? [slot]
        : this.strategy === 'one_for_all'
          ? this.slots
          : this.slots.slice(index);
    for (const other of [...affected].reverse()) if (other !== slot) await this.stopChild(other);
    for (const child of affected) {
      if (this.ended) return;
      this.eventsOut.next({ type: 'restart', id: child.spec.id });
      await this.startChild(child);
    }
  }

  private async shutdown(error: SupervisorShutdownError | undefined): Promise<void> {
    if (this.ended) return;
    for (const slot of [...this.slots].reverse()) await this.stopChild(slot);
    this.ended = true;
    if (error !== undefined) this.eventsOut.next({ type: 'shutdown', error });
    this.eventsOut.complete();
    this.shutdownSignal.resolve(error);
  }
}
