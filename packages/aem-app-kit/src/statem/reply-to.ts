/**
 * Where the reply to a {@link StateMachine.call} goes (`gen_statem`'s `From`): pass it to
 * {@link StateActions.reply}, now or in a later event (keep it in the data).
 *
 * @example
 * ```ts
 * if (ev.type === 'event' && ev.event === 'code-length' && ev.from) m.reply(ev.from, code.length);
 * ```
 * @typeParam R - the reply's type.
 */
export interface ReplyTo<R> {
  /** @internal Settles the caller's promise; a second reply is ignored. */
  readonly _settle: (outcome: { readonly value: R } | { readonly error: unknown }) => void;
}
