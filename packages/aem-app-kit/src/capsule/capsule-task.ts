import { isAbsolute } from 'node:path';
import { InvalidHandlerError } from '../errors/invalid-handler.error';

/**
 * A function run in a worker of a {@link CapsulePool}, named rather than passed: workers load
 * `module` themselves and call its export `exportName` with the job's payload. Naming it is what
 * lets a hot upgrade swap it in the workers too: a task with another `version` is loaded afresh
 * (an ES module under a new URL, a CommonJS file out of a cleared require cache), while jobs
 * already running finish on the code they started with.
 *
 * The export takes the payload (as structured clone delivered it) and returns the result or a
 * promise of it; ArrayBuffers and typed arrays that own their whole buffer in the result are
 * moved back, not copied.
 *
 * @example
 * ```ts
 * // digest.task.mjs: export function digest(bytes) { return createHash('sha256').update(bytes).digest(); }
 * const digest = capsuleTask(require.resolve('./digest.task.mjs'), 'digest');
 * ```
 */
export interface CapsuleTask {
  /** Absolute path of the task's file (CommonJS, ES module, or TypeScript Node can strip). */
  readonly module: string;
  /** Name of the export to call. */
  readonly exportName: string;
  /** Version tag: a new one loads the file again in the workers. Default `''`. */
  readonly version: string;
}

/**
 * Names a task (see {@link CapsuleTask}) after checking its parts.
 *
 * @example
 * ```ts
 * const digest = capsuleTask('/srv/app/dist/digest.task.js', 'digest', '1.1.0');
 * ```
 * @param module - absolute path of the file.
 * @param exportName - the export to call.
 * @param version - version tag (the kit passes the handler module's version).
 * @returns the task.
 * @throws {@link InvalidHandlerError} for a relative path or an empty export name.
 */
export function capsuleTask(module: string, exportName: string, version = ''): CapsuleTask {
  if (typeof module !== 'string' || !isAbsolute(module))
    throw new InvalidHandlerError(
      'capsule task module',
      `must be an absolute path, got ${String(module)}`,
    );
  if (typeof exportName !== 'string' || exportName.length === 0)
    throw new InvalidHandlerError('capsule task export', 'must be a non-empty string');
  return { module, exportName, version };
}

/** @internal `module#export@version`, for errors. */
export function taskLabel(task: CapsuleTask): string {
  return `${task.module}#${task.exportName}${task.version === '' ? '' : `@${task.version}`}`;
}
