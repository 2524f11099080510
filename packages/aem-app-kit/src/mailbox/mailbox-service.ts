import { defineCall, defineService, type Aem, type CallContext, type Domain } from '@aem/core';

/** @internal A unit of work run as an activation of some domain. */
export type MailboxJob = () => void | Promise<void>;

/** @internal Arguments of the mailbox call: gives the kit the call context. */
interface OpenArgs {
  readonly attach: (ctx: CallContext<MailboxJob>) => void;
}

/**
 * @internal The kit's own activation point: lets the kit run work inside any domain (the
 * `@OnClose` handlers, state migrations) queued behind that domain's pending activations, so
 * it never races a handler of the same domain.
 */
export const mailboxService = defineService({
  name: 'aem-app-kit-mailbox',
  version: '1.0.0',
  description: 'runs the application kit’s own jobs inside a domain',
  calls: {
    open: defineCall<OpenArgs, MailboxJob>((ctx, args) => {
      args.attach(ctx);
    }),
  },
});

/** @internal A posting handle on the mailbox of one runtime. */
export interface Mailbox {
  /** Queues `job` in `domain`; `false` when the mailbox is closed. */
  post(job: MailboxJob, domain: Domain): boolean;
  /** Closes the mailbox event. */
  close(): void;
}

/** @internal Loads the mailbox service (if needed) and opens one mailbox. */
export function openMailbox(runtime: Aem, onError: (error: unknown) => void): Mailbox {
  if (!runtime.services().some((info) => info.name === mailboxService.name))
    runtime.load(mailboxService);
  let context: CallContext<MailboxJob> | undefined;
  const event = runtime
    .bind(mailboxService)
    .call('open', { attach: (ctx) => (context = ctx) }, async (job) => {
      try {
        await job();
      } catch (error) {
        onError(error);
      }
    });
  return {
    post: (job, domain) => context?.activate(job, domain) ?? false,
    close: () => event.shutdown(),
  };
}
