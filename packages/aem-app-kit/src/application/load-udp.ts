import type * as UdpModule from '@aem/udp';
import { InvalidConfigError } from '../errors/invalid-config.error';

/**
 * @internal `@aem/udp`, loaded when an application first asks for UDP: it is an optional peer
 * dependency, so an application without `udp` runs without it installed.
 *
 * @throws {@link InvalidConfigError} when `udp` is configured but `@aem/udp` is not installed.
 */
export function loadUdp(): typeof UdpModule {
  try {
    // A plain require, on purpose: the kit is CommonJS, and an optional peer must not be
    // loaded by a static import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@aem/udp') as typeof UdpModule;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code !== 'MODULE_NOT_FOUND' || !String(message).includes("'@aem/udp'")) throw error;
    throw new InvalidConfigError('udp', '@aem/udp installed (npm install @aem/udp)', 'not found');
  }
}
