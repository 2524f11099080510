import type { KernelChannel } from './kernel-channel';

/** The kinds of backend a runtime can run on. */
export type BackendKind = 'userspace' | 'kmod';

/** What `createAem({ backend })` accepts: a kind, or `'auto'` to pick the best usable one. */
export type BackendRequest = BackendKind | 'auto';

/**
 * Where activations come from and what holds the process open.
 *
 * The `userspace` backend needs nothing but Node: services produce activations from Node's own
 * facilities (one Node timer driving the timing wheel, `node:net` sockets). The `kmod` backend
 * receives them from the `aem_core` kernel module through `/dev/aem`, and offers the kernel's
 * service modules to the services through one generic {@link KernelChannel}.
 * Both serve the same services and pass the same conformance suite; only where time is spent
 * differs.
 */
export interface Backend {
  /** Which backend this is. */
  readonly kind: BackendKind;
  /** One line for logs and health output, e.g. `userspace (node:net, timing wheel)`. */
  readonly description: string;
  /** Monotonic time in milliseconds (fractional), the clock services measure with. */
  now(): number;
  /**
   * Takes one keep-alive reference: while at least one is held, the Node process does not exit
   * on an empty event loop. Balanced by {@link Backend.unref}.
   */
  ref(): void;
  /** Releases one keep-alive reference taken with {@link Backend.ref}. */
  unref(): void;
  /** Number of keep-alive references held. */
  readonly refs: number;
  /** Releases everything the backend holds. Idempotent. */
  close(): void;
  /**
   * The generic channel to the kernel's service modules, when the backend has one (`kmod`):
   * a service package looks its kernel counterpart up there and runs its events in the kernel
   * (the timers service on `aem_timers.ko`, the TCP service on `aem_tcp.ko`).
   */
  readonly kernel?: KernelChannel;
}

/** How the runtime's backend was chosen: what was asked for, what was picked, and why. */
export interface BackendSelection {
  /** What `createAem` was asked for. */
  readonly requested: BackendRequest;
  /** What the runtime runs on. */
  readonly kind: BackendKind;
  /** Why: for `'auto'`, why `kmod` was or was not usable. */
  readonly reason: string;
}
