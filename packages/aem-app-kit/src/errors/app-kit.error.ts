import { AemError } from '@aem/core';

/**
 * Base class of the errors raised by `@aem/app-kit`. Like every AEM error it carries a stable
 * `code` (all start with `AEM_APP_`); branch on `code` or `instanceof`, never on the message.
 *
 * @example
 * ```ts
 * import { AppKitError } from '@aem/app-kit';
 * try {
 *   await app.upgrade(next);
 * } catch (error) {
 *   if (error instanceof AppKitError) console.error(error.code, error.message);
 * }
 * ```
 */
export abstract class AppKitError extends AemError {}
