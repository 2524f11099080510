import { addHandlerMethod } from './handler-metadata';

/**
 * Declares the method that runs when a TCP connection is accepted, in the connection's domain,
 * before any of its messages. It receives the new {@link Session} (its `state` starts as the
 * handler module's `initialState()`); it may be `async`.
 *
 * @example
 * ```ts
 * @OnConnection()
 * greet(session: Session<CallState>) {
 *   session.connection?.send('220 ready\r\n');
 * }
 * ```
 * @returns a method decorator.
 */
export function OnConnection(): MethodDecorator {
  return (target, key) => addHandlerMethod(target, { kind: 'connection', method: key });
}
