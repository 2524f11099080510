import { AppKitError } from './app-kit.error';

/**
 * A {@link StateMachine.call} got no reply because the machine stopped first (or had stopped
 * when it was called).
 *
 * @example
 * ```ts
 * await lock.call('code-length').catch((error) => console.log(error.code)); // AEM_APP_STATEM_STOPPED
 * ```
 */
export class StateMachineStoppedError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_STATEM_STOPPED';

  /** @param reason - why the machine stopped. */
  constructor(readonly reason: string) {
    super(`the state machine stopped (${reason}) before replying`);
  }
}
