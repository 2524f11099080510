/**
 * The AEM udp service.
 *
 * @packageDocumentation
 */

/* Service */
export { UDP_SERVICE_NAME, UDP_SERVICE_VERSION, udpService } from './udp-service';
export type { UdpCalls, UdpServiceDefinition, UdpState, TopicArgs } from './udp-service';

/* Client */
export { Udp } from './udp';
