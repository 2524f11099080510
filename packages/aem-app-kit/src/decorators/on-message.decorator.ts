import { addHandlerMethod } from './handler-metadata';

/**
 * Declares the method that handles each framed message of a connection. It receives the
 * `TcpMessage` and the connection's {@link Session}; it may be `async` — the core runs one
 * activation of a domain at a time, so the next message of the same connection waits for the
 * returned promise while other connections go on.
 *
 * @example
 * ```ts
 * @OnMessage()
 * async onMessage({ data, connection }: TcpMessage, session: Session<{ count: number }>) {
 *   session.state.count++;
 *   await this.store.save(data);
 *   connection.send(`ok ${session.state.count}\n`);
 * }
 * ```
 * @returns a method decorator.
 */
export function OnMessage(): MethodDecorator {
  return (target, key) => addHandlerMethod(target, { kind: 'message', method: key });
}
