import type { Aem, AemRuntimeError } from '@aem/core';
import type { Tcp, TcpServer } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import type { Udp, UdpSocket } from '@aem/udp';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { CapsulePool } from '../capsule/capsule-pool';
import { injectionToken, type InjectionToken } from './injection-token';

/**
 * The application's AEM runtime.
 *
 * @example
 * ```ts
 * constructor(@Inject(RUNTIME) private readonly runtime: Aem) {}
 * ```
 */
export const RUNTIME: InjectionToken<Aem> = injectionToken<Aem>('runtime');

/**
 * The timers service client (`after`, `every`, `sleep`, and the `timer`/`interval` streams).
 *
 * @example
 * ```ts
 * constructor(@Inject(TIMERS) private readonly timers: Timers) {}
 * ```
 */
export const TIMERS: InjectionToken<Timers> = injectionToken<Timers>('timers');

/**
 * The TCP service client (`listen`, `connect`).
 *
 * @example
 * ```ts
 * constructor(@Inject(TCP) private readonly tcp: Tcp) {}
 * ```
 */
export const TCP: InjectionToken<Tcp> = injectionToken<Tcp>('tcp');

/**
 * The application's listening TCP server, when `tcp` is configured. Its `connections` and
 * `messages` are Observables: inject it to use streams next to decorated handlers.
 *
 * @example
 * ```ts
 * constructor(@Inject(TCP_SERVER) server: TcpServer) {
 *   server.messages.pipe(bufferCount(100)).subscribe((batch) => audit(batch));
 * }
 * ```
 */
export const TCP_SERVER: InjectionToken<TcpServer> = injectionToken<TcpServer>('tcp-server');

/**
 * The UDP service client (`bind`), bound when the application has a `udp` option.
 *
 * @example
 * ```ts
 * constructor(@Inject(UDP) private readonly udp: Udp) {}
 * ```
 */
export const UDP: InjectionToken<Udp> = injectionToken<Udp>('udp');

/**
 * The application's (first) UDP socket, when `udp` is configured: answer on it, read its
 * `stats`, or subscribe to its `datagrams()` beside the decorated handlers.
 *
 * @example
 * ```ts
 * constructor(@Inject(UDP_SOCKET) socket: UdpSocket) {
 *   console.log(`serving udp ${socket.address.address}:${socket.address.port}`);
 * }
 * ```
 */
export const UDP_SOCKET: InjectionToken<UdpSocket> = injectionToken<UdpSocket>('udp-socket');

/**
 * The application's configuration (the `config` option of {@link createApp}). Its type is
 * `unknown` here because the kit cannot know it: name the type with {@link configToken}.
 *
 * @example
 * ```ts
 * constructor(@Inject(CONFIG) private readonly config: { greeting: string }) {}
 * ```
 */
export const CONFIG: InjectionToken<unknown> = injectionToken<unknown>('config');

/**
 * The {@link CONFIG} token typed as your configuration (the same token: whatever `config`
 * option the application got). Use it in a type-checked `inject` list.
 *
 * @example
 * ```ts
 * interface ChatConfig { readonly loginTimeoutMs: number }
 * const CHAT_CONFIG = configToken<ChatConfig>();
 * @Handler({ inject: [CHAT_CONFIG] })
 * class Login {
 *   constructor(private readonly config: ChatConfig) {}
 * }
 * ```
 * @typeParam T - the configuration's type.
 * @returns the `CONFIG` token, typed.
 */
export function configToken<T>(): InjectionToken<T> {
  return CONFIG as InjectionToken<T>;
}

/**
 * The application's pino logger. Handler classes usually take a child:
 * `logger.child({ handler: 'Echo' })`.
 *
 * @example
 * ```ts
 * constructor(@Inject(LOGGER) private readonly logger: Logger) {}
 * ```
 */
export const LOGGER: InjectionToken<Logger> = injectionToken<Logger>('logger');

/**
 * The runtime's error stream (`runtime.errors`): handler and source failures as an Observable.
 *
 * @example
 * ```ts
 * constructor(@Inject(ERRORS) errors: Observable<AemRuntimeError>) {
 *   errors.subscribe((error) => alarms.raise(error.code));
 * }
 * ```
 */
export const ERRORS: InjectionToken<Observable<AemRuntimeError>> =
  injectionToken<Observable<AemRuntimeError>>('errors');

/**
 * The application's worker pool for `@OnMessage({ execution: 'pool' })` handlers, sized by
 * `AppOptions.capsule`; started on first use, closed when the application stops. Inject it to
 * run other CPU-heavy steps off the event loop.
 *
 * @example
 * ```ts
 * constructor(@Inject(CAPSULE) private readonly pool: CapsulePool) {}
 * ```
 */
export const CAPSULE: InjectionToken<CapsulePool> = injectionToken<CapsulePool>('capsule');
