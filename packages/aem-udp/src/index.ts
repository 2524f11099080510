/**
 * The AEM asynchronous UDP service: datagrams as events and RxJS streams, sends batched per
 * tick, one domain per socket or per key, explicit limits with counted drops, IPv4 and
 * IPv6.
 *
 * @packageDocumentation
 */

/* Service */
export { Udp } from './udp';
export type { BindOptions } from './udp';
export { UDP_SERVICE_NAME, UDP_SERVICE_VERSION, createUdpService, udpService } from './udp-service';
export type { DatagramsArgs, UdpCalls, UdpServiceDefinition } from './udp-service';
export { DEFAULT_UDP_LIMITS } from './udp-limits';
export type { UdpLimits, UdpServiceOptions } from './udp-limits';
export type { UdpServiceState } from './udp-service-state';

/* Sockets and datagrams */
export { Datagram, UdpSocket } from './udp-socket';
export type { UdpPeer, UdpTarget } from './udp-socket';
export type { UdpSocketStats } from './udp-socket-stats';

/* Errors */
export { UdpError } from './errors/udp.error';
export { DatagramTooLargeError } from './errors/datagram-too-large.error';
export { SocketFailedError } from './errors/socket-failed.error';
