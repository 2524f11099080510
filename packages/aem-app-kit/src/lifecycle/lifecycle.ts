/**
 * One component of an application's lifecycle: started in order, stopped in reverse.
 *
 * @example
 * ```ts
 * const step: LifecycleStep = { name: 'db', start: () => pool.open(), stop: () => pool.close() };
 * ```
 */
export interface LifecycleStep {
  /** Shown in logs and errors. */
  readonly name: string;
  /** Starts the component; awaited before the next one starts. */
  start(): void | Promise<void>;
  /** Stops it; awaited before the previous one stops. Only called if `start` succeeded. */
  stop?(): void | Promise<void>;
}

/**
 * Runs {@link LifecycleStep}s: `start()` awaits each in order; when one fails, the ones
 * already started are stopped in reverse order and the failure is rethrown. `stop()` stops
 * the started ones in reverse order, each awaited; a failing stop is reported to `onError`
 * and the rest still stop.
 *
 * @example
 * ```ts
 * const lifecycle = new Lifecycle([
 *   { name: 'runtime', start: () => void 0, stop: () => runtime.close() },
 *   { name: 'server', start: () => server.listen(), stop: () => server.close() },
 * ]);
 * await lifecycle.start();
 * await lifecycle.stop(); // server, then runtime
 * ```
 */
export class Lifecycle {
  private readonly started: LifecycleStep[] = [];
  private failed: string | undefined;

  /**
   * @param steps - in start order.
   * @param onError - receives stop failures (default: ignored after the others stopped).
   */
  constructor(
    private readonly steps: readonly LifecycleStep[],
    private readonly onError: (step: string, error: unknown) => void = () => undefined,
  ) {}

  /** Names of the steps started and not stopped, in start order. */
  get running(): string[] {
    return this.started.map((step) => step.name);
  }

  /** The name of the step whose start failed, once one did. */
  get failedStep(): string | undefined {
    return this.failed;
  }

  /** Starts every step in order; rolls back and rethrows on the first failure. */
  async start(): Promise<void> {
    for (const step of this.steps) {
      try {
        await step.start();
      } catch (error) {
        this.failed = step.name;
        await this.stop();
        throw error;
      }
      this.started.push(step);
    }
  }

  /** Stops the started steps in reverse order. */
  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const step = this.started.pop() as LifecycleStep;
      try {
        await step.stop?.();
      } catch (error) {
        this.onError(step.name, error);
      }
    }
  }
}
