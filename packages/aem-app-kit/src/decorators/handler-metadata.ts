import type { CapsuleTask } from '../capsule/capsule-task';
import { InvalidHandlerError } from '../errors/invalid-handler.error';

/**
 * Which event a decorated method handles.
 *
 * @example
 * ```ts
 * const kinds: HandlerKind[] = ['connection', 'message', 'close', 'datagram', 'timer'];
 * ```
 */
export type HandlerKind = 'connection' | 'message' | 'close' | 'datagram' | 'timer';

/**
 * One decorated method of a handler class, as the kit reads it.
 *
 * @example
 * ```ts
 * const [first] = handlerMethodsOf(Echo); // { kind: 'message', method: 'onMessage' }
 * ```
 */
export interface HandlerMethod {
  /** The event it handles. */
  readonly kind: HandlerKind;
  /** The method's name. */
  readonly method: string | symbol;
  /** For `timer`: the delay or period in ms. */
  readonly ms?: number;
  /** For `timer`: fire once (`true`) or periodically (default). */
  readonly once?: boolean;
  /** For `message` with `execution: 'pool'`: the task run in a worker first. */
  readonly pool?: {
    /** The module and export the worker runs. */
    readonly task: Pick<CapsuleTask, 'module' | 'exportName'>;
    /** The job's time limit, when not the pool's own. */
    readonly timeoutMs?: number;
  };
}

/**
 * A handler class: constructed by the container, its decorated methods called by the kit.
 *
 * @example
 * ```ts
 * const classes: HandlerClass[] = [Echo, Heartbeat];
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are free
export type HandlerClass<T = object> = new (...args: any[]) => T;

const methods = new WeakMap<object, HandlerMethod[]>();
const handlerClasses = new WeakSet<object>();

/** @internal Records a decorated method on its class. */
export function addHandlerMethod(prototype: object, entry: HandlerMethod): void {
  const cls = (prototype as { constructor: object }).constructor;
  const list = methods.get(cls) ?? [];
  list.push(entry);
  methods.set(cls, list);
}

/** @internal Marks a class with `@Handler()`. */
export function markHandlerClass(cls: object): void {
  handlerClasses.add(cls);
}

/**
 * The decorated methods of a handler class, in declaration order (a subclass sees its base's).
 *
 * @example
 * ```ts
 * console.log(handlerMethodsOf(Echo).map((m) => m.kind)); // ['connection', 'message']
 * ```
 * @param cls - a class marked with `@Handler()`.
 * @throws {@link InvalidHandlerError} when the class is not marked with `@Handler()`.
 */
export function handlerMethodsOf(cls: HandlerClass): readonly HandlerMethod[] {
  if (!handlerClasses.has(cls)) {
    throw new InvalidHandlerError(cls.name || 'anonymous class', 'is not marked with @Handler()');
  }
  const chain: HandlerMethod[] = [];
  for (let c: object | null = cls; c !== null && c !== Function.prototype;) {
    chain.unshift(...(methods.get(c) ?? []));
    c = Object.getPrototypeOf(c) as object | null;
  }
  return chain;
}
