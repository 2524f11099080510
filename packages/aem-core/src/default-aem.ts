import { Aem } from './aem';

/**
 * The process's default runtime (backend `'auto'`, default limits). Modules that share it share
 * one service registry and one dispatcher; ESM and CommonJS importers get the same instance.
 *
 * @example
 * ```ts
 * import { aem } from '@aem/core';
 * console.log(aem.backendSelection.kind); // 'userspace' on a machine without /dev/aem
 * ```
 */
export const aem: Aem = new Aem();
