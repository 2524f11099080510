import {
  CONFIG,
  Handler,
  Inject,
  LOGGER,
  OnClose,
  OnDatagram,
  OnMessage,
  TCP_SERVER,
  TIMERS,
  type Session,
} from '@aem/app-kit';
import type { TcpMessage, TcpServer } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import type { Datagram } from '@aem/udp';
import type { Logger } from 'pino';
import type { SipUasConfig } from '../config';
import { SIP_STATE, type SipState } from '../state/sip-state';
import { terminate } from './call-flow';
import { createSipContext } from './create-sip-context';
import type { SipContext } from './sip-context';
import type { SipSession } from './sip-session';
import { receiveTcpMessage } from './tcp-ingress';
import { receiveDatagram } from './udp-ingress';

/**
 * The SIP user-agent server, over TCP and UDP on the same port. Each framed message of a
 * connection arrives here in the connection's domain, each datagram in its socket's domain;
 * requests of a call move on into the call's own domain. Stateless requests (OPTIONS,
 * REGISTER, refusals) are answered on the spot.
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
    // UDP is bound on the TCP listener's port (see main.ts).
    this.ctx = createSipContext({ state, timers, config, logger, port: server.address.port });
  }

  /**
   * One SIP message of a connection. Returns a promise only when the connection's responses are
   * over its write high-water mark: its next message then waits until they drained, so a peer
   * that reads slowly is read slowly — TCP's flow control, end to end — instead of being
   * buffered for without bound.
   */
  @OnMessage()
  message({ data, connection }: TcpMessage, session: Session<SipSession>): void | Promise<void> {
    receiveTcpMessage(this.ctx, data, connection, session.state);
    if (connection.writableLength > connection.limits.writeHighWaterMark) {
      return connection.drained().catch(() => undefined); // closed meanwhile: nothing to wait for
    }
  }

  /** One datagram of the SIP socket (RFC 3261 §18: UDP is mandatory). */
  @OnDatagram()
  datagram(datagram: Datagram): void {
    receiveDatagram(this.ctx, datagram.data, datagram.socket, datagram.peer);
  }

  /** The connection closed: its calls cannot be answered any more and are forgotten. */
  @OnClose()
  closed(session: Session<SipSession>): void {
    for (const call of [...session.state.calls]) {
      this.ctx.state.callJobs.post(() => terminate(this.ctx, call), call.domain);
    }
  }
}
