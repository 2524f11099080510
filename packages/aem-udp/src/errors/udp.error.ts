import { AemError } from '@aem/core';

/** Base class of the errors raised by `@aem/udp`; each has a stable `code`. */
export abstract class UdpError extends AemError {}
