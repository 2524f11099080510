/**
 * Base class of every error raised by AEM packages.
 *
 * Each subclass sets `name` to its class name, carries a stable machine-readable
 * {@link AemError.code} (the same strings the native binding maps errno values to) and keeps the
 * structured data it reports in readonly fields, so callers branch on `code` or `instanceof`,
 * never on message text.
 *
 * @example
 * ```ts
 * import { AemError } from '@aem/core';
 * try {
 *   runtime.bind('timers', '^9');
 * } catch (error) {
 *   if (error instanceof AemError && error.code === 'AEM_SERVICE_NOT_FOUND') {
 *     // fall back, or report error.message
 *   }
 * }
 * ```
 */
export abstract class AemError extends Error {
  /** Stable identifier of the failure, e.g. `AEM_QUEUE_FULL`. Never changes between versions. */
  abstract readonly code: string;

  /**
   * @param message - human-readable explanation, built by the subclass from its data.
   * @param options - standard `ErrorOptions`; `cause` keeps the underlying error.
   */
  protected constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
