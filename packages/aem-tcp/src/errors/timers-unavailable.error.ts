import { TcpError } from './tcp.error';

/**
 * An idle timeout was asked for, but the runtime has no `timers` service loaded. Idle
 * timeouts run on the timers service through the AEM registry (services never import each
 * other): `runtime.load(timersService)` from `@aem/timers` first.
 */
export class TimersUnavailableError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_TIMERS_UNAVAILABLE';

  /** @param cause - the bind failure. */
  constructor(cause: unknown) {
    super(
      'idleTimeoutMs needs the "timers" service (^1) loaded in the same runtime: load timersService from @aem/timers first',
      { cause },
    );
  }
}
