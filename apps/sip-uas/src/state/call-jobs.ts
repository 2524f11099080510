import type { Domain } from '@aem/core';

/** A unit of a call's work, run inside the call's domain. */
export type CallJob = () => void;

/** Posts jobs into call domains. */
export interface CallJobs {
  /** Queues `job` in `domain`; `false` when the queue refused it (closed, or the domain full). */
  post(job: CallJob, domain: Domain): boolean;
}

/**
 * The application's way into a call's domain: a SIP request is posted into its call's domain
 * (`Domain.post`), queued behind whatever that call already has queued (an expiring ring timer,
 * an earlier request), so a call's work never interleaves. A job that throws is reported to
 * `onError`; the call's next jobs still run.
 *
 * @param onError - receives what a job threw.
 */
export function openCallJobs(onError: (error: unknown) => void): CallJobs {
  return {
    post: (job, domain) => {
      try {
        return domain.post(() => {
          try {
            job();
          } catch (error) {
            onError(error);
          }
        });
      } catch {
        return false; // QueueFullError: the caller answers 503
      }
    },
  };
}
