import { isIP } from 'node:net';
import { sipRetransmitDelays, sipTimerValues, type SipTransport, type Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { SipUasConfig } from '../config';
import type { SipState } from '../state/sip-state';
import { forgetNonInvite } from '../transaction/non-invite-transactions';
import { timerExpired } from './call-flow';
import type { SipContext, TransportTimers } from './sip-context';

/** What a handler version's {@link SipContext} is made from. */
export interface SipContextDeps {
  readonly state: SipState;
  readonly timers: Timers;
  readonly config: SipUasConfig;
  readonly logger: Logger;
  /** The port the UAS serves, on UDP and TCP. */
  readonly port: number;
}

/**
 * The context of one handler version: the shared state and services, the RFC 3261 timer
 * schedules of both transports (computed once: calls keep a step index, not a schedule), the
 * Contact headers, and the wheel callbacks of the call and transaction timers.
 *
 * @param deps - state, timers, configuration, logger and port.
 */
export function createSipContext(deps: SipContextDeps): SipContext {
  const { state, timers, config, logger, port } = deps;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const t = { t1Ms: config.t1Ms, t2Ms: config.t2Ms, t4Ms: config.t4Ms };
  const transportTimers = (transport: SipTransport): TransportTimers => ({
    values: sipTimerValues({ ...t, transport }),
    finalDelays: sipRetransmitDelays('G', { ...t, transport }),
  });
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  const uri = `${hostPart}:${port}`;
  const tlsPort = config.security.tls === undefined ? undefined : config.security.tlsPort;
  const ctx: SipContext = {
    state,
    timers,
    config,
    reliable: transportTimers('reliable'),
    unreliable: transportTimers('unreliable'),
    twoXxDelays: sipRetransmitDelays('G', { ...t, transport: 'unreliable' }),
    media: { host, port: 6000 },
    host,
    port,
    tlsPort,
    contacts: {
      tcp: `Contact: <sip:uas@${uri};transport=tcp>\r\n`,
      udp: `Contact: <sip:uas@${uri};transport=udp>\r\n`,
      tls: `Contact: <sips:uas@${hostPart}:${tlsPort ?? 5061};transport=tls>\r\n`,
    },
    logger,
    expire: (call) => {
      // A call whose queue is full gets its expiry again a T1 later, never lost.
      if (!state.callJobs.post(() => timerExpired(ctx, call), call.domain)) {
        call.timer = timers.wheel.start(config.t1Ms, ctx.expire, call);
      }
    },
    expireTransaction: (transaction) => forgetNonInvite(state, transaction),
  };
  return ctx;
}
