import type { Call } from '../state/call';
import type { TcpChannel } from '../transport/sip-channel';

/**
 * Per-session state. A TCP connection's: the calls whose INVITE came on it (its close ends
 * them) and its response channel, made at its first message. A UDP socket's session keeps
 * nothing: its calls are found by Call-ID and branch, and end by their own timers.
 */
export interface SipSession {
  readonly calls: Set<Call>;
  channel?: TcpChannel;
}
