import { performance } from 'node:perf_hooks';
import type { Backend } from './backend';
import type { KernelTimers } from './kernel-timers';

/** The slice of `@aem/kmod/binding`'s `KmodDevice` this backend uses. @internal */
export interface KmodDeviceLike {
  lookup(name: string, version: string): unknown;
  timer(
    service: unknown,
    options: { initialNs: number; intervalNs?: number; start?: boolean },
  ): number;
  shutdown(eventId: number): void;
  listen(handler: (count: number, records: Float64Array) => void): void;
  ref(): void;
  unref(): void;
  close(): void;
}

/** Layout of one record in the binding's batch array (`RECORD_FIELD`, `FIELDS`). @internal */
export interface KmodRecordLayout {
  readonly fields: number;
  readonly eventId: number;
  readonly word0: number;
}

const NS_PER_MS = 1_000_000;
/** Version range of the kernel timers service this backend binds. */
const KERNEL_TIMERS_VERSION = '1.0.0';

/**
 * The `kmod` backend: events live in the kernel (`/dev/aem`, the `aem_core` module and its
 * service modules). The native binding watches the device fd from libuv; each wake-up drains
 * a batch of ring records, and each record is handed to the service that armed its event,
 * which queues the activation into the dispatcher.
 *
 * Keep-alive references are the binding's: the fd watcher is ref'd while any is held.
 */
export class KmodBackend implements Backend {
  /** @inheritDoc */
  readonly kind = 'kmod' as const;
  /** @inheritDoc */
  readonly description = 'kmod (/dev/aem ring, drained per wake-up)';
  private readonly handlers = new Map<number, (expirations: number) => void>();
  private refCount = 0;
  private closed = false;
  private timersService: unknown;

  /**
   * @param device - an open `KmodDevice` (one AEM context).
   * @param layout - the binding's record layout.
   * @internal Created by `createAem({ backend: 'kmod' | 'auto' })`.
   */
  constructor(
    private readonly device: KmodDeviceLike,
    private readonly layout: KmodRecordLayout,
  ) {
    device.listen((count, records) => this.drain(count, records));
    // The fd watcher holds the loop only while keep-alive references exist.
    device.unref();
    const handlers = this.handlers;
    this.kernelTimers = {
      arm: (initialMs, intervalMs, onExpire) => {
        this.timersService ??= device.lookup('timers', KERNEL_TIMERS_VERSION);
        const id = device.timer(this.timersService, {
          initialNs: Math.max(1, Math.round(initialMs * NS_PER_MS)),
          intervalNs: Math.round(intervalMs * NS_PER_MS),
          start: true,
        });
        handlers.set(id, onExpire);
        return id;
      },
      disarm: (id) => {
        if (!handlers.delete(id) || this.closed) return;
        device.shutdown(id);
      },
      get armed(): number {
        return handlers.size;
      },
    };
  }

  /** Kernel soft timers (`aem_timers.ko`), for the timers service. */
  readonly kernelTimers: KernelTimers;

  /** @inheritDoc */
  now(): number {
    return performance.now();
  }

  /** @inheritDoc */
  ref(): void {
    if (this.refCount++ === 0 && !this.closed) this.device.ref();
  }

  /** @inheritDoc */
  unref(): void {
    if (this.refCount === 0) return;
    if (--this.refCount === 0 && !this.closed) this.device.unref();
  }

  /** @inheritDoc */
  get refs(): number {
    return this.refCount;
  }

  /** @inheritDoc */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.device.close();
  }

  private drain(count: number, records: Float64Array): void {
    const { fields, eventId, word0 } = this.layout;
    for (let i = 0, at = 0; i < count; i++, at += fields) {
      const handler = this.handlers.get(records[at + eventId]);
      if (handler !== undefined) handler(records[at + word0]);
    }
  }
}
