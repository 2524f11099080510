/**
 * What a state handler of a {@link StateMachine} receives, in the spirit of Erlang's
 * `gen_statem` event types:
 * - `enter`: the machine just entered this state (from `from`; `undefined` at start);
 * - `event`: an event given to {@link StateMachine.send};
 * - `state-timeout`: the state timeout of this state expired;
 * - `timeout`: the named timeout `name` expired.
 *
 * @example
 * ```ts
 * const handler: StateHandler<'idle' | 'ringing', Call, SipEvent> = (ev, m) => {
 *   if (ev.type === 'state-timeout') m.next('idle');
 * };
 * ```
 * @typeParam S - the state names.
 * @typeParam E - the application's event type.
 */
export type StateMachineEvent<S extends string, E> =
  | { readonly type: 'enter'; readonly from: S | undefined }
  | { readonly type: 'event'; readonly event: E }
  | { readonly type: 'state-timeout'; readonly payload: unknown }
  | { readonly type: 'timeout'; readonly name: string; readonly payload: unknown };
