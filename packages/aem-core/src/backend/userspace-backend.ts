import { performance } from 'node:perf_hooks';
import type { Backend } from './backend';

/**
 * The default backend: needs nothing but Node.
 *
 * Keep-alive is libuv's `uv_ref` idea: while at least one reference is held, one ref'd handle
 * (an interval that is never due in practice) keeps the loop alive; when the count drops to
 * zero the handle is cleared and the process may exit once nothing else holds it.
 */
export class UserspaceBackend implements Backend {
  /** @inheritDoc */
  readonly kind = 'userspace' as const;
  /** @inheritDoc */
  readonly description = 'userspace (Node event loop)';
  private anchor: ReturnType<typeof setInterval> | null = null;
  private refCount = 0;

  /** @inheritDoc */
  now(): number {
    return performance.now();
  }

  /** @inheritDoc */
  ref(): void {
    if (this.refCount++ === 0) {
      // The process anchor, not a time source: it arms no work, it only holds the loop open.
      // eslint-disable-next-line no-restricted-globals
      this.anchor = setInterval(keepAlive, 0x7fffffff);
    }
  }

  /** @inheritDoc */
  unref(): void {
    if (this.refCount === 0) return;
    if (--this.refCount === 0 && this.anchor !== null) {
      clearInterval(this.anchor);
      this.anchor = null;
    }
  }

  /** @inheritDoc */
  get refs(): number {
    return this.refCount;
  }

  /** @inheritDoc */
  close(): void {
    this.refCount = 1;
    this.unref();
  }
}

function keepAlive(): void {
  // Intentionally empty: the interval exists only to hold a libuv reference.
}
