/**
 * The AEM asynchronous TCP service (in development): `listen` and `connect`, connections and
 * framed messages as events and RxJS streams, backpressure, limits. Until it lands, this entry
 * point only names the service.
 *
 * @packageDocumentation
 */

/** Name under which the TCP service registers with `@aem/core`. */
export const TCP_SERVICE_NAME = 'tcp';
