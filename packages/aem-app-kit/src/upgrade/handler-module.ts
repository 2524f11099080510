import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { handlerMethodsOf, type HandlerClass } from '../decorators/handler-metadata';
import { InvalidHandlerError } from '../errors/invalid-handler.error';

/**
 * One version of an application's handler code: the unit of hot upgrade (an OTP release's
 * callback modules). A running application serves new sessions with its newest module while
 * live sessions finish on the module they started with — unless the newer module's
 * `migrateState` moves them across.
 *
 * @example
 * ```ts
 * export default defineHandlerModule({
 *   version: '1.1.0',
 *   handlers: [Echo, Heartbeat],
 *   initialState: () => ({ lines: 0 }),
 *   migrateState: (old, from) => ({ lines: (old as { count: number }).count }),
 * });
 * ```
 * @typeParam S - the per-session state.
 */
export interface HandlerModule<S = unknown> {
  /** The version, shown in health, logs and metrics; unique within a running application. */
  readonly version: string;
  /** The handler classes, each marked with `@Handler()`. Started in this order. */
  readonly handlers: readonly HandlerClass[];
  /** A fresh per-session state (default `{}`). */
  readonly initialState?: () => S;
  /**
   * Moves a live session to this version at a hot upgrade: receives its state and the
   * version it ran, returns the new state. It runs in the session's domain between two of
   * its activations. Without it, live sessions finish on their old version.
   */
  readonly migrateState?: (state: unknown, fromVersion: string) => S;
}

/**
 * Checks a handler module and returns it (typed). Every class must be marked `@Handler()`.
 *
 * @example
 * ```ts
 * export const handlers = defineHandlerModule({ version: '1.0.0', handlers: [Echo] });
 * ```
 * @param module - the module.
 * @returns the same module.
 * @throws {@link InvalidHandlerError} for a missing version or handlers, or an unmarked class.
 */
export function defineHandlerModule<S>(module: HandlerModule<S>): HandlerModule<S> {
  if (module === null || typeof module !== 'object')
    throw new InvalidHandlerError('handler module', 'must be an object');
  if (typeof module.version !== 'string' || module.version.length === 0)
    throw new InvalidHandlerError('module.version', 'must be a non-empty string');
  if (!Array.isArray(module.handlers))
    throw new InvalidHandlerError('module.handlers', 'must be an array of @Handler() classes');
  for (const [i, cls] of module.handlers.entries()) {
    // A wrong import gives `undefined` here: say which entry, not "cannot read 'name'".
    if (typeof cls !== 'function')
      throw new InvalidHandlerError(
        `module.handlers[${i}]`,
        `is ${cls === null ? 'null' : typeof cls}, not a @Handler() class (check its import)`,
      );
    handlerMethodsOf(cls);
  }
  return module;
}

/**
 * Loads a handler module from disk, fresh: the file (and every file it loaded under the same
 * folder) is dropped from the require cache first, so a changed file is read again — the
 * "reload from disk" of a hot upgrade. The file exports a {@link HandlerModule} as `default`,
 * as `handlerModule`, or as the whole `module.exports`.
 *
 * @example
 * ```ts
 * const next = loadHandlerModule('./dist/handlers.js');
 * await app.upgrade(next);
 * ```
 * @param path - path of a CommonJS file (absolute, or relative to the working directory).
 * @returns the validated module.
 * @throws whatever loading the file throws; {@link InvalidHandlerError} for a bad module.
 */
export function loadHandlerModule(path: string): HandlerModule {
  const file = resolve(path);
  const load = createRequire(file);
  const folder = resolve(file, '..');
  for (const key of Object.keys(load.cache)) {
    if (key.startsWith(folder) && !key.includes('node_modules')) delete load.cache[key];
  }
  const exported = load(file) as {
    default?: HandlerModule;
    handlerModule?: HandlerModule;
  } & HandlerModule;
  return defineHandlerModule(exported.default ?? exported.handlerModule ?? exported);
}
