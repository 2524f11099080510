import { valid } from 'semver';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import type { CallMap, ServiceDefinition } from './service-definition';

/** Allowed service names: what `/dev/aem-<name>` and npm scopes would accept. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9._/-]{0,63}$/;

/**
 * Defines a service: validates its name, version and calls once, and returns the definition to
 * pass to {@link Aem.load}. Definitions are plain data; loading one into several runtimes
 * creates independent state in each.
 *
 * @example
 * ```ts
 * import { createAem, defineCall, defineService } from '@aem/core';
 *
 * const greeter = defineService({
 *   name: 'greeter',
 *   version: '1.0.0',
 *   calls: {
 *     hello: defineCall<{ who: string }, string>((ctx, args) => {
 *       queueMicrotask(() => ctx.activate(`hello, ${args.who}`));
 *     }, { defaults: { oneShot: true } }),
 *   },
 * });
 *
 * const runtime = createAem();
 * runtime.load(greeter);
 * console.log(await runtime.bind<typeof greeter>('greeter', '^1').once('hello', { who: 'AEM' }));
 * ```
 * @param definition - name, exact semver version, calls, optional setup/teardown.
 * @returns the same definition, frozen.
 * @throws {@link InvalidArgumentError} for a malformed name, version or call.
 */
export function defineService<TState, TCalls extends CallMap<TState>>(
  definition: ServiceDefinition<TState, TCalls>,
): ServiceDefinition<TState, TCalls> {
  if (typeof definition.name !== 'string' || !SERVICE_NAME.test(definition.name)) {
    throw new InvalidArgumentError(
      'service name',
      'lower-case letters, digits, ".", "_", "-" or "/" (1–64 characters)',
      definition.name,
    );
  }
  if (typeof definition.version !== 'string' || valid(definition.version) !== definition.version) {
    throw new InvalidArgumentError(
      `version of service "${definition.name}"`,
      'an exact semver version such as 1.0.0',
      definition.version,
    );
  }
  const calls = definition.calls;
  if (calls === null || typeof calls !== 'object' || Object.keys(calls).length === 0) {
    throw new InvalidArgumentError(
      `calls of service "${definition.name}"`,
      'an object with at least one call',
      calls,
    );
  }
  for (const [name, spec] of Object.entries(calls)) {
    if (spec === null || typeof spec !== 'object' || typeof spec.run !== 'function') {
      throw new InvalidArgumentError(
        `call "${name}" of service "${definition.name}"`,
        'a spec made with defineCall()',
        spec,
      );
    }
  }
  return Object.freeze({ ...definition, calls: Object.freeze({ ...calls }) });
}
