import { AemError } from '@aem/core';

/** Base class of the errors raised by `@aem/tcp`; each has a stable `code`. */
export abstract class TcpError extends AemError {}
