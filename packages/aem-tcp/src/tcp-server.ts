import type { AddressInfo } from 'node:net';
import type { AemEvent, CallContext, EventOptions, ServiceBinding } from '@aem/core';
import type { Observable } from 'rxjs';
import type { FramerFactory } from './framers/framer';
import type { IdleSweeper } from './idle-sweeper';
import { NoFramerError } from './errors/no-framer.error';
import { TcpConnection, type TcpMessage } from './tcp-connection';
import type { ConnectionLimits } from './tcp-limits';
import type { TcpCloseInfo } from './tcp-close-info';
import type { TcpServiceState } from './tcp-service-state';
import { tlsHandshakeFailures } from './transport/tls-transport';
import type { TransportServer, TransportSocket } from './transport/transport';

/** Counters of a server. */
export interface TcpServerStats {
  /** Connections open now. */
  readonly connections: number;
  /** Connections accepted since listening. */
  readonly accepted: number;
  /** Connections refused because `maxConnections` was reached. */
  readonly refused: number;
  /** Connections closed for a framing error. */
  readonly framingErrors: number;
  /** Connections closed for idleness. */
  readonly idleTimeouts: number;
  /** TLS handshakes that failed (bad or missing certificate, not TLS, too slow); 0 without TLS. */
  readonly tlsHandshakeFailures: number;
}

/** Options of {@link TcpServer.close}. */
export interface ServerCloseOptions {
  /**
   * How long live connections may take to finish (their queued messages handled, their
   * replies flushed) before they are destroyed. Default 5,000 ms.
   */
  readonly deadlineMs?: number;
}

/** @internal */
export interface ServerSetup {
  readonly server: TransportServer;
  readonly state: TcpServiceState;
  /** The service's own binding, untyped (see `ConnectionSetup.events`). */
  readonly events: ServiceBinding;
  readonly framer: FramerFactory | null;
  readonly limits: ConnectionLimits;
  readonly maxConnections: number;
  readonly sweeper: IdleSweeper | null;
  /** Arms a one-shot timer on the runtime's timer service if present, else Node's clock. */
  readonly schedule: (ms: number, callback: () => void) => { cancel(): void };
}

/**
 * A listening TCP server from {@link Tcp.listen}. Accepted connections and their messages are
 * AEM events: register handlers with {@link TcpServer.onConnection} and
 * {@link TcpServer.onMessage} (each runs in the connection's domain, so a connection's
 * `onConnection` handler finishes before its first message is handled), or use the
 * {@link TcpServer.connections} and {@link TcpServer.messages} Observables.
 *
 * Over `maxConnections`, new connections are closed at once and counted in `stats().refused`.
 *
 * @example
 * ```ts
 * const server = await tcp.listen({ port: 0, framer: delimited() });
 * server.onMessage(({ data, connection }) => void connection.send(Buffer.concat([data, CRLF])));
 * console.log(`echo on ${server.address.port}`);
 * await server.close({ deadlineMs: 2000 });
 * ```
 */
// Structurally a ConnectionOwner (internal, so no `implements` clause in the public surface).
export class TcpServer {
  /** @internal Server-level message sinks, shared with every connection. */
  readonly messageSinks: CallContext<TcpMessage>[] = [];
  private readonly acceptSinks: CallContext<TcpConnection>[] = [];
  private readonly live = new Set<TcpConnection>();
  private readonly server: TransportServer;
  private readonly state: TcpServiceState;
  private readonly setup: ServerSetup;
  private accepted = 0;
  private refused = 0;
  private framingErrors = 0;
  private idleTimeouts = 0;
  private closing: Promise<void> | undefined;

  /** @internal Created by {@link Tcp.listen}. */
  constructor(setup: ServerSetup) {
    this.setup = setup;
    this.server = setup.server;
    this.state = setup.state;
    this.server.on('connection', (socket) => this.accept(socket));
    this.state.servers.add(this);
  }

  /** The bound address (the port actually bound when listening on port 0). */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** `listening`, `closing` (draining) or `closed`. */
  get status(): 'listening' | 'closing' | 'closed' {
    return this.closing === undefined
      ? 'listening'
      : this.server.listening || this.live.size > 0
        ? 'closing'
        : 'closed';
  }

  /** A snapshot of the server's counters. */
  stats(): TcpServerStats {
    return {
      connections: this.live.size,
      accepted: this.accepted,
      refused: this.refused,
      framingErrors: this.framingErrors,
      idleTimeouts: this.idleTimeouts,
      tlsHandshakeFailures: tlsHandshakeFailures(this.server),
    };
  }

  /** The open connections. */
  get openConnections(): readonly TcpConnection[] {
    return [...this.live];
  }

  /** Registers a handler for accepted connections; it runs in the new connection's domain. */
  onConnection(
    handler: (connection: TcpConnection) => void | PromiseLike<void>,
    options: Omit<EventOptions, 'domain'> = {},
  ): AemEvent<TcpConnection> {
    return this.setup.events.call('accept', { server: this }, handler, options);
  }

  /** Accepted connections as an Observable (cold: subscribing registers the event). */
  get connections(): Observable<TcpConnection> {
    return this.setup.events.observe('accept', { server: this }, {});
  }

  /**
   * Registers a handler for the framed messages of every connection; each runs in its
   * connection's domain.
   */
  onMessage(
    handler: (message: TcpMessage) => void | PromiseLike<void>,
    options: Omit<EventOptions, 'domain'> = {},
  ): AemEvent<TcpMessage> {
    return this.setup.events.call('messages', { target: this }, handler, options);
  }

  /** The framed messages of every connection as an Observable. */
  get messages(): Observable<TcpMessage> {
    return this.setup.events.observe('messages', { target: this }, {});
  }

  /**
   * Graceful shutdown: stops accepting at once, lets each live connection finish — its queued
   * messages handled, its replies flushed, FIN sent — and destroys those still open after
   * `deadlineMs`. Resolves when every connection is closed. Idempotent.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.deadlineMs ?? 5_000);
    return this.closing;
  }

  /** @internal Refuses message registrations on a server without a framer. */
  _assertFramed(): void {
    if (this.setup.framer === null) {
      const { address, port } = this.address;
      throw new NoFramerError(`server ${address}:${port}`);
    }
  }

  /** @internal */
  _addAcceptSink(sink: CallContext<TcpConnection>): void {
    this.acceptSinks.push(sink);
  }

  /** @internal */
  _removeAcceptSink(sink: CallContext<unknown>): void {
    const at = this.acceptSinks.indexOf(sink as CallContext<TcpConnection>);
    if (at >= 0) this.acceptSinks.splice(at, 1);
  }

  /** @internal */
  _addMessageSink(sink: CallContext<TcpMessage>): void {
    this.messageSinks.push(sink);
    for (const connection of this.live) connection._consumersChanged();
  }

  /** @internal */
  _removeMessageSink(sink: CallContext<unknown>): void {
    const at = this.messageSinks.indexOf(sink as CallContext<TcpMessage>);
    if (at >= 0) this.messageSinks.splice(at, 1);
    for (const connection of this.live) connection._consumersChanged();
  }

  /** @internal */
  _domainName(connection: TcpConnection): string {
    return `tcp:${connection.remoteAddress}:${connection.remotePort}`;
  }

  /** @internal */
  _connectionClosed(connection: TcpConnection, info: TcpCloseInfo): void {
    this.live.delete(connection);
    if (info.reason === 'framing-error') this.framingErrors++;
    else if (info.reason === 'idle-timeout') this.idleTimeouts++;
  }

  /** @internal Service teardown: close everything now. */
  _destroy(): void {
    this.closing ??= Promise.resolve();
    this.server.close();
    for (const connection of [...this.live]) connection._destroyForShutdown();
    for (const sink of [...this.acceptSinks, ...this.messageSinks]) sink.end();
    this.state.servers.delete(this);
    this.setup.sweeper?.close();
  }

  private accept(socket: TransportSocket): void {
    if (this.closing !== undefined || this.live.size >= this.setup.maxConnections) {
      this.refused++;
      socket.destroy();
      return;
    }
    this.accepted++;
    const connection = new TcpConnection(this.state.connectionId(), {
      socket,
      state: this.state,
      events: this.setup.events,
      owner: this,
      framer: this.setup.framer,
      limits: this.setup.limits,
      sweeper: this.setup.sweeper,
    });
    this.live.add(connection);
    connection._consumersChanged();
    for (const sink of this.acceptSinks) sink.activate(connection, connection.domain);
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const all = [...this.live];
    // Each connection stops reading now and sends FIN once what it already received was
    // handled: no poll — the connection's domain says when (see `_closeWhenHandled`), and
    // each connection's `closed` promise says when it is gone.
    for (const connection of all) connection._closeWhenHandled();
    const deadline = this.setup.schedule(deadlineMs, () => {
      for (const connection of [...this.live]) connection._destroyForShutdown();
    });
    await Promise.all(all.map((connection) => connection.closed));
    deadline.cancel();
    await stopped;
    for (const sink of [...this.acceptSinks, ...this.messageSinks]) sink.end();
    this.state.servers.delete(this);
    this.setup.sweeper?.close();
  }
}
