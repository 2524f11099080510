import { addHandlerMethod } from './handler-metadata';

/**
 * Declares the method that handles each datagram of the application's UDP sockets (the `udp`
 * option). It receives the `Datagram` of `@aem/udp` — payload, peer, the socket to answer on,
 * when it arrived — and runs in the datagram's domain: the socket's, or its key's when the
 * socket has a `domainKey`. It may be `async`: the next datagram of that domain waits for the
 * returned promise while other domains go on.
 *
 * UDP has no connection, so a datagram has no {@link Session}: each one is handled by the
 * handler version that is current when it is dispatched (a hot upgrade takes effect at the next
 * datagram of every domain). State that outlives a datagram lives in the application's own
 * tables, keyed by peer, call or transaction.
 *
 * @example
 * ```ts
 * @OnDatagram()
 * echo(datagram: Datagram) {
 *   datagram.socket.send(datagram.data, datagram.peer);
 * }
 * ```
 * @returns a method decorator.
 */
export function OnDatagram(): MethodDecorator {
  return (target, key) => addHandlerMethod(target, { kind: 'datagram', method: key });
}
