import { injectable } from 'inversify';
import {
  injectParameters,
  type InjectOptions,
  type TypedClassDecorator,
} from '../container/inject.decorator';
import type { ServiceKey } from '../container/injection-token';
import { markHandlerClass } from './handler-metadata';

/**
 * Marks a class as an application handler: the container constructs it (one instance per
 * handler version), the kit calls its decorated methods ({@link OnConnection},
 * {@link OnMessage}, {@link OnClose}, {@link OnTimer}) and its optional `onStart()` /
 * `onStop()` hooks (awaited, in class order at start, reverse order at stop).
 *
 * The constructor's parameters each take an `@Inject(token)`, or are listed once in
 * `@Handler({ inject: [...] })`, which the compiler checks against their types.
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
 *
 * @Handler({ inject: [TIMERS, LOGGER] }) // checked: [Timers, Logger]
 * export class Ticker {
 *   constructor(private readonly timers: Timers, private readonly logger: Logger) {}
 * }
 * ```
 * @returns a class decorator.
 */
export function Handler(): ClassDecorator;
/**
 * @param options - the constructor's parameters as keys, type-checked.
 * @returns a class decorator accepting only a matching constructor.
 */
export function Handler<const K extends readonly ServiceKey<unknown>[]>(
  options: InjectOptions<K>,
): TypedClassDecorator<K>;
export function Handler(
  options?: InjectOptions<readonly ServiceKey<unknown>[]>,
): (target: object) => void {
  return (target) => {
    if (options !== undefined) injectParameters(target, options.inject);
    injectable()(target as never);
    markHandlerClass(target);
  };
}
