import type { TcpConnection } from '@aem/tcp';
import type { ServerTransaction } from '../transaction/server-transaction';

/**
 * The part of `@aem/udp`'s `UdpSocket` the UAS uses: its local address and `send`, which
 * queues one datagram for the tick's batch and returns `false` (counted by the socket) when it
 * could not.
 */
export interface DatagramSocket {
  readonly address: { readonly address: string; readonly port: number };
  send(
    data: Uint8Array | string,
    peer: { readonly address: string; readonly port: number },
  ): boolean;
}

/** Responses over TCP: on the connection the request came on (RFC 3261 §18.2.2). */
export interface TcpChannel {
  readonly kind: 'tcp';
  /** The connection; a response after it closed has nowhere to go and is dropped. */
  readonly connection: TcpConnection;
  /** Whether the connection is TLS (it came on the TLS port). */
  readonly tls: boolean;
}

/**
 * Responses over UDP: from the socket the request came on, to the address RFC 3261 §18.2.2 and
 * RFC 3581 derive from its top Via and its source ({@link udpResponseRoute}). It is itself the
 * `{ address, port }` handed to `send`, so sending allocates nothing.
 */
export interface UdpChannel {
  readonly kind: 'udp';
  readonly socket: DatagramSocket;
  /** The address the request came from (flood protection and authentication count per source). */
  readonly source: string;
  /** The destination of the responses. */
  readonly address: string;
  readonly port: number;
  /**
   * The non-INVITE server transaction this request opened (RFC 3261 §17.2.2): the final
   * response sent on this channel is recorded there for timer J. `undefined` for INVITE and
   * ACK, and once the final response went out.
   */
  transaction: ServerTransaction | undefined;
}

/**
 * Where the responses to one request go, whatever the transport. Plain data (no methods), so a
 * call that outlives a hot upgrade is served by the new version's code.
 */
export type SipChannel = TcpChannel | UdpChannel;
