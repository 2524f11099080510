import { AemError } from './aem.error';

/**
 * Raised when an argument of a public API is out of its documented domain (a priority outside
 * 0–7, a limit that is not a positive integer, an unknown call name, a malformed semver version).
 */
export class InvalidArgumentError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_INVALID_ARGUMENT';

  /**
   * @param argument - the name of the offending argument or option, e.g. `options.priority`.
   * @param expected - what a valid value looks like.
   * @param actual - the value that was given (kept for diagnostics).
   */
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${argument} must be ${expected}, got ${describe(actual)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null ||
    value === undefined
  )
    return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
