import { injectable } from 'inversify';
import { markHandlerClass } from './handler-metadata';

/**
 * Marks a class as an application handler: the container constructs it (one instance per
 * handler version), the kit calls its decorated methods ({@link OnConnection},
 * {@link OnMessage}, {@link OnClose}, {@link OnTimer}) and its optional `onStart()` /
 * `onStop()` hooks (awaited, in class order at start, reverse order at stop).
 *
 * @example
 * ```ts
 * @Handler()
 * export class Echo implements OnStart {
 *   constructor(@Inject(LOGGER) private readonly logger: Logger) {}
 *   async onStart() { this.logger.info('echo ready'); }
 *   @OnMessage()
 *   echo({ data, connection }: TcpMessage) { connection.send(data); }
 * }
 * ```
 * @returns a class decorator.
 */
export function Handler(): ClassDecorator {
  return (target) => {
    injectable()(target);
    markHandlerClass(target);
  };
}
