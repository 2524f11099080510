import type { CapsuleTask } from '../capsule/capsule-task';
import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { addHandlerMethod } from './handler-metadata';

/**
 * Options of {@link OnMessage}: where the handler's work runs.
 *
 * - `{ execution: 'inline' }` (the default): the method runs on the event loop.
 * - `{ execution: 'pool', task }`: the message's `data` goes to a worker of the application's
 *   {@link CapsulePool} (`AppOptions.capsule`), where `task` (a named export of a module file)
 *   computes the result; the method then runs on the event loop with
 *   `(result, message, session)`. The session's domain stays busy meanwhile, so its messages
 *   keep their order; the pool's failures (task error, timeout, worker crash, full queue) are
 *   this handler's failures, supervised like any other.
 *
 * @example
 * ```ts
 * const options: OnMessageOptions = { execution: 'pool', task: { module: '/srv/app/digest.js', exportName: 'digest' } };
 * ```
 */
export type OnMessageOptions =
  | {
      /** Run the method on the event loop (the default). */
      readonly execution?: 'inline';
    }
  | {
      /** Run the message's first step in a worker of the capsule pool. */
      readonly execution: 'pool';
      /** The task run in the worker; its `version` is set by the kit (the handler module's). */
      readonly task: Pick<CapsuleTask, 'module' | 'exportName'>;
      /** This handler's job time limit instead of the pool's `timeoutMs`. */
      readonly timeoutMs?: number;
    };

/**
 * Declares the method that handles each framed message of a connection. It receives the
 * `TcpMessage` and the connection's {@link Session}; it may be `async` — the core runs one
 * activation of a domain at a time, so the next message of the same connection waits for the
 * returned promise while other connections go on. With `{ execution: 'pool', task }` the
 * CPU-heavy part runs in a worker thread first (see {@link OnMessageOptions}).
 *
 * @example
 * ```ts
 * @OnMessage()
 * async onMessage({ data, connection }: TcpMessage, session: Session<{ count: number }>) {
 *   session.state.count++;
 *   await this.store.save(data);
 *   connection.send(`ok ${session.state.count}\n`);
 * }
 *
 * @OnMessage({ execution: 'pool', task: { module: require.resolve('./digest.task'), exportName: 'digest' } })
 * onDigest(hash: Uint8Array, { connection }: TcpMessage) {
 *   connection.send(hash);
 * }
 * ```
 * @param options - where the work runs; default inline.
 * @returns a method decorator.
 * @throws {@link InvalidHandlerError} for an unknown execution mode or a pool mode without task.
 */
export function OnMessage(options: OnMessageOptions = {}): MethodDecorator {
  const execution = options.execution ?? 'inline';
  if (execution !== 'inline' && execution !== 'pool')
    throw new InvalidHandlerError(
      '@OnMessage execution',
      `must be 'inline' or 'pool', got ${String(execution)}`,
    );
  if (options.execution === 'pool' && (typeof options.task !== 'object' || options.task === null))
    throw new InvalidHandlerError(
      '@OnMessage',
      "execution 'pool' needs a task { module, exportName }",
    );
  return (target, key) =>
    addHandlerMethod(target, {
      kind: 'message',
      method: key,
      ...(options.execution === 'pool' ? { pool: options } : {}),
    });
}
