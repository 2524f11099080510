import type { Aem, Domain } from '@aem/core';

/** @internal A unit of the kit's own work, run inside some domain. */
export type MailboxJob = () => void | Promise<void>;

/**
 * @internal The kit's own work queue into domains (the `@OnClose` handlers, state migrations):
 * each job is posted with `Domain.post`, so it runs behind that domain's pending activations and
 * never races a handler of the same domain.
 */
export interface Mailbox {
  /**
   * Queues `job` in `domain`; `false` when the mailbox or the runtime is closed.
   *
   * @throws `QueueFullError` when the domain or the runtime queue is full: nothing was queued.
   */
  post(job: MailboxJob, domain: Domain): boolean;
  /** Closes the mailbox: jobs still queued are skipped, new ones refused. */
  close(): void;
}

/**
 * @internal Opens the kit's mailbox on `runtime`: what a job throws or rejects with goes to
 * `onError` (the kit's error path), not to `Aem.errors`.
 *
 * @param runtime - the application's runtime (where the domains were created).
 * @param onError - receives a job's failure.
 */
export function openMailbox(runtime: Aem, onError: (error: unknown) => void): Mailbox {
  let open = !runtime.closed;
  return {
    post: (job, domain) =>
      open &&
      domain.post(async () => {
        if (!open) return;
        try {
          await job();
        } catch (error) {
          onError(error);
        }
      }),
    close: () => {
      open = false;
    },
  };
}
