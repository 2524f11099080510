import { InvalidArgumentError } from '../errors/invalid-argument.error';

/**
 * Merges a caller's limit overrides onto defaults, the one way every AEM package checks its
 * limits: each override must name a known limit and be a positive safe integer; `undefined`
 * keeps the default. Used for the runtime's `limits` and for a service's own (a TCP
 * connection's, for instance).
 *
 * @example
 * ```ts
 * const limits = resolveLimits({ maxQueued: 1024, maxBytes: 1 << 20 }, options.limits, 'options.limits');
 * ```
 * @param defaults - every limit with its default.
 * @param overrides - what the caller set.
 * @param path - how the caller's option is named in errors, e.g. `options.limits`.
 * @returns the merged limits, frozen.
 * @throws {@link InvalidArgumentError} for an unknown limit or a value that is not a positive
 *   integer.
 */
export function resolveLimits<T extends { readonly [K in keyof T]: number }>(
  defaults: T,
  overrides: Partial<T> | undefined,
  path: string,
): T {
  const limits: Record<string, number> = { ...defaults };
  for (const key of Object.keys(overrides ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(defaults, key)) {
      throw new InvalidArgumentError(
        `${path}.${key}`,
        `one of ${Object.keys(defaults).join(', ')}`,
        key,
      );
    }
    const value = (overrides as Record<string, number | undefined>)[key];
    if (value === undefined) continue;
    checkPositiveInteger(`${path}.${key}`, value);
    limits[key] = value;
  }
  return Object.freeze(limits) as T;
}

/**
 * Checks one limit-like value: a positive safe integer.
 *
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError(name, 'a positive integer', value);
}
