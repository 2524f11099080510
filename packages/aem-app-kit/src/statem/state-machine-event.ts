import type { ReplyTo } from './reply-to';

/**
 * What a state handler of a {@link StateMachine} receives, in the spirit of Erlang's
 * `gen_statem` event types:
 * - `enter`: the machine just entered this state (from `from`; `undefined` at start);
 * - `event`: an event given to {@link StateMachine.send} (a cast) or {@link StateMachine.call}
 *   (then `from` is where to {@link StateActions.reply});
 * - `state-timeout`: the state timeout of this state expired;
 * - `event-timeout`: no event arrived within the event timeout;
 * - `timeout`: the generic (named) timeout `name` expired.
 *
 * @example
 * ```ts
 * const handler: StateHandler<'idle' | 'ringing', Call, SipEvent> = (ev, m) => {
 *   if (ev.type === 'state-timeout') m.next('idle');
 * };
 * ```
 * @typeParam S - the state names.
 * @typeParam E - the application's event type.
 * @typeParam T - the timeouts' payload type.
 * @typeParam R - what a call is replied with.
 */
export type StateMachineEvent<S extends string, E, T = unknown, R = unknown> =
  | {
      /** The machine entered this state. */
      readonly type: 'enter';
      /** The state it came from; `undefined` at start. */
      readonly from: S | undefined;
    }
  | {
      /** An event given to `send` or `call`. */
      readonly type: 'event';
      /** The event. */
      readonly event: E;
      /** For a `call`: where the reply goes (`m.reply(ev.from, value)`); else `undefined`. */
      readonly from?: ReplyTo<R>;
    }
  | {
      /** The state timeout of this state expired. */
      readonly type: 'state-timeout';
      /** The payload given when the timeout was armed. */
      readonly payload: T;
    }
  | {
      /** No event came within the event timeout. */
      readonly type: 'event-timeout';
      /** The payload given when the timeout was armed. */
      readonly payload: T;
    }
  | {
      /** A generic (named) timeout expired. */
      readonly type: 'timeout';
      /** The timeout's name. */
      readonly name: string;
      /** The payload given when the timeout was armed. */
      readonly payload: T;
    };
