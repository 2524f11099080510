import {
  CONFIG,
  Handler,
  Inject,
  LOGGER,
  OnClose,
  OnMessage,
  TCP_SERVER,
  TIMERS,
  type Session,
} from '@aem/app-kit';
import type { TcpConnection, TcpMessage, TcpServer } from '@aem/tcp';
import { sipTimerValues, type Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { SipUasConfig } from '../config';
import { parseSipMessage, type SipRequest } from '../sip/sip-message';
import { SipParseError } from '../sip/sip-parse.error';
import type { Call } from '../state/call';
import { SIP_STATE, type SipState } from '../state/sip-state';
import { findCall, inCall, openCall, respond, terminate, timerExpired } from './call-flow';
import { register } from './registrar';
import { ALLOW_HEADER, KNOWN_UNSUPPORTED, type SipContext } from './sip-context';

/** Per-connection session state: the calls whose INVITE came on this connection. */
export interface SipSession {
  readonly calls: Set<Call>;
}

/**
 * The SIP user-agent server: each framed message of a connection arrives here, in the
 * connection's domain; requests of a call move on into the call's own domain. Stateless
 * requests (OPTIONS, REGISTER, refusals) are answered on the spot.
 */
@Handler()
export class SipHandler {
  private readonly ctx: SipContext;

  constructor(
    @Inject(SIP_STATE) state: SipState,
    @Inject(TIMERS) timers: Timers,
    @Inject(CONFIG) config: SipUasConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(TCP_SERVER) server: TcpServer,
  ) {
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    this.ctx = {
      state,
      timers,
      config,
      timerValues: sipTimerValues({
        transport: 'reliable',
        t1Ms: config.t1Ms,
        t2Ms: Math.max(4000, config.t1Ms),
      }),
      media: { host, port: 6000 },
      contactHeader: `Contact: <sip:uas@${host}:${server.address.port};transport=tcp>\r\n`,
      logger,
      expire: (call) => {
        const ctx = this.ctx;
        // A call whose queue is full gets its expiry again a T1 later, never lost.
        if (!ctx.state.callJobs.post(() => timerExpired(ctx, call), call.domain)) {
          call.timer = ctx.timers.wheel.start(ctx.timerValues.T1, ctx.expire, call);
        }
      },
    };
  }

  /**
   * One SIP message of a connection. Returns a promise only when the connection's responses are
   * over its write high-water mark: its next message then waits until they drained, so a peer
   * that reads slowly is read slowly — TCP's flow control, end to end — instead of being
   * buffered for without bound.
   */
  @OnMessage()
  message({ data, connection }: TcpMessage, session: Session<SipSession>): void | Promise<void> {
    this.handle(data, connection, session);
    if (connection.writableLength > connection.limits.writeHighWaterMark) {
      return connection.drained().catch(() => undefined); // closed meanwhile: nothing to wait for
    }
  }

  private handle(data: Buffer, connection: TcpConnection, session: Session<SipSession>): void {
    const { counters } = this.ctx.state;
    let request: SipRequest;
    try {
      const message = parseSipMessage(data);
      if (message.kind === 'response') {
        counters.responsesReceived++; // to a BYE this server sent; nothing more to do
        return;
      }
      request = message;
    } catch (error) {
      this.malformed(error, connection);
      return;
    }
    counters.requests++;
    this.route(request, connection, session.state);
  }

  /** The connection closed: its calls cannot be answered any more and are forgotten. */
  @OnClose()
  closed(session: Session<SipSession>): void {
    for (const call of [...session.state.calls]) {
      this.ctx.state.callJobs.post(() => terminate(this.ctx, call), call.domain);
    }
  }

  private route(request: SipRequest, connection: TcpConnection, session: SipSession): void {
    const method = request.method;
    const ctx = this.ctx;
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL' || method === 'BYE') {
      if (method !== 'ACK' && method !== 'CANCEL' && this.refuseExtensions(request, connection))
        return;
      const call = findCall(ctx, request);
      if (call === undefined) {
        if (method === 'INVITE' && request.toTag === '') {
          if (!openCall(ctx, request, connection, session.calls))
            this.overloaded(request, connection);
        } else if (method !== 'ACK') {
          respond(connection, request, 481, 'Call/Transaction Does Not Exist');
        }
        return;
      }
      if (!ctx.state.callJobs.post(() => inCall(ctx, call, request, connection), call.domain)) {
        if (method !== 'ACK') this.overloaded(request, connection);
      }
      return;
    }
    if (this.refuseExtensions(request, connection)) return;
    if (method === 'OPTIONS') {
      respond(
        connection,
        request,
        200,
        'OK',
        undefined,
        `${ALLOW_HEADER}Accept: application/sdp\r\n`,
      );
    } else if (method === 'REGISTER') {
      register(ctx, request, connection);
    } else if (KNOWN_UNSUPPORTED.has(method)) {
      respond(connection, request, 405, 'Method Not Allowed', undefined, ALLOW_HEADER);
    } else {
      respond(connection, request, 501, 'Not Implemented');
    }
  }

  /** RFC 3261 §8.2.2.3: this UAS supports no extension, so any `Require` gets 420. */
  private refuseExtensions(request: SipRequest, connection: TcpConnection): boolean {
    const required = request.headers.get('require');
    if (required === undefined) return false;
    respond(
      connection,
      request,
      420,
      'Bad Extension',
      undefined,
      `Unsupported: ${required.join(', ')}\r\n`,
    );
    return true;
  }

  private overloaded(request: SipRequest, connection: TcpConnection): void {
    this.ctx.state.counters.overloaded++;
    respond(connection, request, 503, 'Service Unavailable', undefined, 'Retry-After: 5\r\n');
  }

  /** A message that does not parse: answered when it can be, else its connection is closed. */
  private malformed(error: unknown, connection: TcpConnection): void {
    const { counters } = this.ctx.state;
    if (!(error instanceof SipParseError)) throw error;
    const request = error.request;
    if (request !== undefined) {
      counters.malformed++;
      if (request.method !== 'ACK') respond(connection, request, error.status, error.reason);
      return;
    }
    counters.closedForMalformed++;
    this.ctx.logger.debug(
      { remote: `${connection.remoteAddress}:${connection.remotePort}`, reason: error.reason },
      'closing a connection after an unparseable message',
    );
    connection.close();
  }
}
