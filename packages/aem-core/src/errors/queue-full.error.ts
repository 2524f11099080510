import { AemError } from './aem.error';

/**
 * Raised to the activation source (the service) when an activation cannot be queued because a
 * queue limit is reached. The activation is not queued — it is never dropped silently: the
 * source decides (a TCP connection pauses reading, a timer counts an overrun).
 *
 * `scope` says which limit: `'domain'` (`limits.maxQueuePerDomain`, one domain's backlog) or
 * `'runtime'` (`limits.maxQueuedActivations`, all queued activations of the runtime).
 */
export class QueueFullError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_QUEUE_FULL';

  /**
   * @param scope - which limit was hit.
   * @param limit - the configured limit.
   * @param eventId - the event whose activation was refused; `0` for a job posted with
   *   `Domain.post`.
   * @param domain - the domain name, when the domain limit was hit.
   */
  constructor(
    readonly scope: 'domain' | 'runtime',
    readonly limit: number,
    readonly eventId: number,
    readonly domain?: string,
  ) {
    const what = eventId === 0 ? 'job' : `activation of event ${eventId}`;
    super(
      scope === 'domain'
        ? `${what} refused: domain "${domain}" already has ${limit} queued activation(s) (limits.maxQueuePerDomain)`
        : `${what} refused: the runtime already has ${limit} queued activation(s) (limits.maxQueuedActivations)`,
    );
  }
}
