import { defineCall, defineService, type Aem, type CallContext, type Domain } from '@aem/core';

/** A unit of a call's work, run as an activation of the call's domain. */
export type CallJob = () => void;

interface OpenArgs {
  readonly attach: (ctx: CallContext<CallJob>) => void;
}

/**
 * The application's own activation point: a SIP request reaches its call's domain as an
 * activation of this service's one event, queued behind whatever that call already has queued
 * (an expiring ring timer, an earlier request), so a call's work never interleaves.
 */
export const callJobsService = defineService({
  name: 'sip-uas-call-jobs',
  version: '1.0.0',
  description: 'runs SIP request handling in the domain of the call it belongs to',
  calls: {
    open: defineCall<OpenArgs, CallJob>((ctx, args) => args.attach(ctx)),
  },
});

/** Posts jobs into call domains. */
export interface CallJobs {
  /** Queues `job` in `domain`; `false` when the queue refused it (closed, or the domain full). */
  post(job: CallJob, domain: Domain): boolean;
}

/**
 * Loads the service into `runtime` and opens the one event every call job rides on. A job that
 * throws is reported to `onError`; the call's next jobs still run.
 *
 * @param runtime - the application's runtime.
 * @param onError - receives what a job threw.
 */
export function openCallJobs(runtime: Aem, onError: (error: unknown) => void): CallJobs {
  runtime.load(callJobsService);
  let context: CallContext<CallJob> | undefined;
  runtime.bind(callJobsService).call(
    'open',
    { attach: (ctx) => (context = ctx) },
    (job) => {
      try {
        job();
      } catch (error) {
        onError(error);
      }
    },
    { keepAlive: false },
  );
  return {
    post: (job, domain) => {
      try {
        return context?.activate(job, domain) ?? false;
      } catch {
        return false; // QueueFullError: the caller answers 503
      }
    },
  };
}
