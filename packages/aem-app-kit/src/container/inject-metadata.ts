import type { ServiceKey } from './injection-token';

/**
 * @internal What the kit knows of a class's constructor parameters: the key each `@Inject`
 * (or the `inject` list of `@Injectable`/`@Handler`) gave it. The kit keeps its own record so
 * that it can name a parameter without `@Inject` before inversify reports it in its own words.
 */
const parameterKeys = new WeakMap<object, Map<number, ServiceKey<unknown>>>();

/** @internal Records that constructor parameter `index` of `cls` resolves to `key`. */
export function recordParameterKey(cls: object, index: number, key: ServiceKey<unknown>): void {
  let keys = parameterKeys.get(cls);
  if (keys === undefined) parameterKeys.set(cls, (keys = new Map()));
  keys.set(index, key);
}

/** @internal The recorded keys of `cls`'s constructor parameters, by index. */
export function parameterKeysOf(cls: object): ReadonlyMap<number, ServiceKey<unknown>> {
  return parameterKeys.get(cls) ?? new Map();
}

/**
 * @internal The names of a class's constructor parameters, read from its source text, for error
 * messages only (best effort: a parameter it cannot read is named by its position).
 */
export function parameterNamesOf(cls: { toString(): string }): string[] {
  const match = /\bconstructor\s*\(([^)]*)\)/.exec(cls.toString());
  if (match === null) return [];
  return match[1].split(',').map((part) => {
    const name = /^\s*(?:\.\.\.)?([\w$]+)/.exec(part);
    return name === null ? '' : name[1];
  });
}

/**
 * @internal How a key reads in a message: `aem:db` for a token, the class name for a class.
 */
export function describeKey(key: ServiceKey<unknown>): string {
  if (typeof key === 'symbol') return key.description ?? key.toString();
  return key.name || 'an anonymous class';
}
