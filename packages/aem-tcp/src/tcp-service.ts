import {
  defineCall,
  defineService,
  InvalidArgumentError,
  type CallContext,
  type CallSpec,
  type ServiceDefinition,
} from '@aem/core';
import { DEFAULT_MAX_TOTAL_BUFFERED_BYTES, type TcpServiceOptions } from './tcp-limits';
import { TcpConnection, type TcpMessage } from './tcp-connection';
import { TcpServer } from './tcp-server';
import { TcpServiceState } from './tcp-service-state';
import { openKernelTcp } from './transport/kernel-tcp';
import { kmodTransport } from './transport/kmod-transport';
import { nodeTransport } from './transport/node-transport';

/** Name under which the TCP service registers with `@aem/core`. */
export const TCP_SERVICE_NAME = 'tcp';
/** Version of the TCP service this package defines. */
export const TCP_SERVICE_VERSION = '1.0.0';

/** Arguments of the `accept` call: the server whose accepted connections to report. */
export interface AcceptArgs {
  /** The server. */
  readonly server: TcpServer;
}

/** Arguments of the `messages` call: a server (all its connections) or one connection. */
export interface MessagesArgs {
  /** A server (messages of all its connections) or one connection. */
  readonly target: TcpServer | TcpConnection;
}

/** Arguments of the `data` call: the connection whose raw bytes to report. */
export interface DataArgs {
  /** The connection. */
  readonly connection: TcpConnection;
}

/** The calls of the TCP service. */
export type TcpCalls = {
  /** Accepted connections of a server; each activation runs in the new connection's domain. */
  readonly accept: CallSpec<TcpServiceState, AcceptArgs, TcpConnection>;
  /** Framed messages of a server or a connection, each in its connection's domain. */
  readonly messages: CallSpec<TcpServiceState, MessagesArgs, TcpMessage>;
  /** Raw received chunks of a connection, in its domain. */
  readonly data: CallSpec<TcpServiceState, DataArgs, Buffer>;
};

/** The TCP service's definition type. */
export type TcpServiceDefinition = ServiceDefinition<TcpServiceState, TcpCalls>;

/**
 * Creates the TCP service definition (`tcp@1.0.0`) with service-wide options. Most programs
 * use {@link tcpService} (the defaults) through {@link Tcp.from}.
 *
 * The calls are registrations of interest on the servers and connections the service owns —
 * the original AEM's `aem-ip` attaching to a socket: `accept`, `messages`, `data`. Servers and client
 * connections are created through the {@link Tcp} facade.
 */
export function createTcpService(options: TcpServiceOptions = {}): TcpServiceDefinition {
  const maxTotal = options.maxTotalBufferedBytes ?? DEFAULT_MAX_TOTAL_BUFFERED_BYTES;
  if (!Number.isSafeInteger(maxTotal) || maxTotal <= 0) {
    throw new InvalidArgumentError('options.maxTotalBufferedBytes', 'a positive integer', maxTotal);
  }
  return defineService({
    name: TCP_SERVICE_NAME,
    version: TCP_SERVICE_VERSION,
    description: 'asynchronous TCP: connections and framed messages as events',
    setup(host) {
      // On the kmod backend with aem_tcp loaded, sockets are the kernel's: accept, data and
      // close arrive as ring records, without a read() per wake-up.
      const kernel =
        host.backend.kernel === undefined
          ? undefined
          : openKernelTcp(host.backend.kernel, host.backend);
      const transport = kernel === undefined ? nodeTransport : kmodTransport(kernel);
      return new TcpServiceState(host.id, TCP_SERVICE_VERSION, maxTotal, transport, (name) =>
        host.createDomain(name),
      );
    },
    teardown(state) {
      state.destroyAll();
    },
    calls: {
      accept: defineCall<AcceptArgs, TcpConnection, TcpServiceState>((ctx, args) => {
        const server = checkTarget(args?.server, TcpServer, 'args.server');
        server._addAcceptSink(ctx);
        return { close: () => server._removeAcceptSink(ctx) };
      }),
      messages: defineCall<MessagesArgs, TcpMessage, TcpServiceState>((ctx, args) => {
        const target = args?.target;
        if (!(target instanceof TcpServer) && !(target instanceof TcpConnection)) {
          throw new InvalidArgumentError('args.target', 'a TcpServer or a TcpConnection', target);
        }
        target._assertFramed();
        target._addMessageSink(ctx as CallContext<TcpMessage>);
        return {
          // A connection that will read no more (peer ended, closed) completes at once.
          start: () => {
            if (target instanceof TcpConnection && target._readingOver) ctx.end();
          },
          delivered: (message) => message.connection._credit(message.data.length, true),
          discarded: (message) => message.connection._credit(message.data.length, true),
          close: () => target._removeMessageSink(ctx),
        };
      }),
      data: defineCall<DataArgs, Buffer, TcpServiceState>((ctx, args) => {
        const connection = checkTarget(args?.connection, TcpConnection, 'args.connection');
        connection._addDataSink(ctx);
        return {
          start: () => {
            if (connection._readingOver) ctx.end();
          },
          delivered: (chunk) => connection._credit(chunk.length, false),
          discarded: (chunk) => connection._credit(chunk.length, false),
          close: () => connection._removeDataSink(ctx),
        };
      }),
    },
  });
}

/** The TCP service with default options. */
export const tcpService: TcpServiceDefinition = createTcpService();

function checkTarget<T>(
  value: unknown,
  type: abstract new (...args: never[]) => T,
  name: string,
): T {
  if (!(value instanceof type)) throw new InvalidArgumentError(name, `a ${type.name}`, value);
  return value;
}
