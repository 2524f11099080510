import { addHandlerMethod } from './handler-metadata';

/**
 * Declares the method that runs once a connection has closed, in its domain after its last
 * message was handled. It receives the {@link Session} and the `TcpCloseInfo` (reason
 * `local`, `peer`, `shutdown`, …; a domain closed by the supervisor has reason `local` and the
 * session's `closeError` set).
 *
 * @example
 * ```ts
 * @OnClose()
 * bye(session: Session, info: TcpCloseInfo) {
 *   this.logger.info({ session: session.id, reason: info.reason }, 'closed');
 * }
 * ```
 * @returns a method decorator.
 */
export function OnClose(): MethodDecorator {
  return (target, key) => addHandlerMethod(target, { kind: 'close', method: key });
}
