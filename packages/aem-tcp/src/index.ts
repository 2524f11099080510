/**
 * The AEM asynchronous TCP service: connections and framed messages as events and RxJS
 * streams, with framing, backpressure, limits, idle timeouts and graceful shutdown.
 *
 * @packageDocumentation
 */

/* Service */
export { Tcp } from './tcp';
export type { ConnectOptions, ConnectionOptions, ListenOptions } from './tcp';
export type { TlsClientOptions, TlsServerOptions } from './tls-options';
export { TCP_SERVICE_NAME, TCP_SERVICE_VERSION, createTcpService, tcpService } from './tcp-service';
export type {
  AcceptArgs,
  DataArgs,
  MessagesArgs,
  TcpCalls,
  TcpServiceDefinition,
} from './tcp-service';
export { DEFAULT_CONNECTION_LIMITS, DEFAULT_MAX_TOTAL_BUFFERED_BYTES } from './tcp-limits';
export type { ConnectionLimits, TcpServiceOptions } from './tcp-limits';
export type { TcpServiceState } from './tcp-service-state';

/* Servers and connections */
export { TcpServer } from './tcp-server';
export type { ServerCloseOptions, TcpServerStats } from './tcp-server';
export { TcpConnection } from './tcp-connection';
export type { TcpMessage } from './tcp-connection';
export type { TcpCloseInfo, TcpCloseReason } from './tcp-close-info';

/* Framers */
export type { Framer, FramerFactory } from './framers/framer';
export { DEFAULT_MAX_FRAME_BYTES } from './framers/framer';
export { lengthPrefixed } from './framers/length-prefixed.framer';
export type { LengthPrefixedOptions } from './framers/length-prefixed.framer';
export { delimited } from './framers/delimiter.framer';
export type { DelimiterOptions } from './framers/delimiter.framer';
export { contentLength } from './framers/content-length.framer';
export type { ContentLengthOptions } from './framers/content-length.framer';

/* Errors */
export { TcpError } from './errors/tcp.error';
export { ConnectionClosedError } from './errors/connection-closed.error';
export { FrameTooLargeError } from './errors/frame-too-large.error';
export { MalformedFrameError } from './errors/malformed-frame.error';
export { NoFramerError } from './errors/no-framer.error';
export { SocketFailedError } from './errors/socket-failed.error';
export { TimersUnavailableError } from './errors/timers-unavailable.error';
