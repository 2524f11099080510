import { InvalidArgumentError } from '../errors/invalid-argument.error';

/** Default priority of an event, and of a job posted with `Domain.post`. */
export const DEFAULT_PRIORITY = 4;

/**
 * Checks a priority: an integer from 0 (lowest) to 7 (highest), for events and posted jobs alike.
 *
 * @returns the priority.
 * @throws {@link InvalidArgumentError} otherwise.
 * @internal
 */
export function checkPriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 0 || priority > 7) {
    throw new InvalidArgumentError(
      'priority',
      'an integer from 0 (lowest) to 7 (highest)',
      priority,
    );
  }
  return priority;
}
