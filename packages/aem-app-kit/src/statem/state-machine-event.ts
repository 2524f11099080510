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
  | {
      /** The machine entered this state. */
      readonly type: 'enter';
      /** The state it came from; `undefined` at start. */
      readonly from: S | undefined;
    }
  | {
      /** An event given to `send`. */
      readonly type: 'event';
      /** The event. */
      readonly event: E;
    }
  | {
      /** The state timeout of this state expired. */
      readonly type: 'state-timeout';
      /** The payload given when the timeout was armed. */
      readonly payload: unknown;
    }
  | {
      /** A named timeout expired. */
      readonly type: 'timeout';
      /** The timeout's name. */
      readonly name: string;
      /** The payload given when the timeout was armed. */
      readonly payload: unknown;
    };
