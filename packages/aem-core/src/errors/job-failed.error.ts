import { AemError } from './aem.error';

/**
 * What `Aem.errors` emits when a job posted with {@link Domain.post} throws or its promise
 * rejects: the job's counterpart of {@link HandlerFailedError}. The process never crashes for
 * it, and the domain's next activations and jobs still run.
 *
 * @example
 * ```ts
 * runtime.errors.subscribe((error) => {
 *   if (error instanceof JobFailedError) console.error(`job in ${error.domain}:`, error.cause);
 * });
 * ```
 */
export class JobFailedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_JOB_FAILED';

  /**
   * @param domain - the name of the domain the job ran in.
   * @param cause - what the job threw or rejected with.
   */
  constructor(
    readonly domain: string,
    cause: unknown,
  ) {
    super(
      `job posted to domain "${domain}" failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}
