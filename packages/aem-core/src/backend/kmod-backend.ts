import { performance } from 'node:perf_hooks';
import type { Backend } from './backend';
import type {
  KernelAttachOptions,
  KernelChannel,
  KernelRecordBatch,
  KernelRecordLayout,
  KernelRecordReceiver,
  KernelService,
} from './kernel-channel';

/** A service bound by `KmodDevice.lookup`. @internal */
export interface KmodServiceInfo {
  /** The exact version bound, `major.minor.patch`. */
  readonly version: string;
}

/** The slice of `@aem/kmod/binding`'s `KmodDevice` this backend uses. @internal */
export interface KmodDeviceLike {
  lookup(name: string, version: string): KmodServiceInfo;
  entry(
    service: KmodServiceInfo,
    call: number,
    args: Uint8Array | null,
    options: { priority?: number; start?: boolean },
  ): number;
  shutdown(eventId: number): void;
  start(eventId: number): void;
  stop(eventId: number): void;
  control(eventId: number, op: number, arg: Uint8Array): number;
  /** The bytes of the current batch's records. */
  readonly data: Uint8Array;
  listen(handler: (count: number, records: Float64Array) => void): void;
  ref(): void;
  unref(): void;
  close(): void;
}

/**
 * One kernel service bound through the channel: its receivers by record type, and the events
 * attached through it (how the drain finds the service a record belongs to).
 */
class BoundKernelService implements KernelService {
  /** Receivers by record type. */
  readonly receivers = new Map<number, KernelRecordReceiver>();
  private readonly events = new Set<number>();

  constructor(
    readonly name: string,
    readonly version: string,
    private readonly info: KmodServiceInfo,
    private readonly backend: KmodBackend,
    private readonly device: KmodDeviceLike,
  ) {}

  get attached(): number {
    return this.events.size;
  }

  attach(call: number, args: Uint8Array | null, options: KernelAttachOptions = {}): number {
    const id = this.device.entry(this.info, call, args, {
      priority: options.priority ?? 0,
      start: options.start ?? true,
    });
    this.events.add(id);
    this.backend._owned(id, this);
    return id;
  }

  start(eventId: number): void {
    if (this.events.has(eventId) && !this.backend.isClosed) this.device.start(eventId);
  }

  stop(eventId: number): void {
    if (this.events.has(eventId) && !this.backend.isClosed) this.device.stop(eventId);
  }

  detach(eventId: number): boolean {
    if (!this.events.delete(eventId)) return false;
    this.backend._released(eventId);
    if (!this.backend.isClosed) this.device.shutdown(eventId);
    return true;
  }

  control(eventId: number, op: number, arg: Uint8Array): number {
    if (!this.events.has(eventId) || this.backend.isClosed) {
      const error = new Error(`kernel event ${eventId} is not attached`) as Error & {
        code: string;
        errno: number;
      };
      error.code = 'AEM_EVENT_CLOSED';
      error.errno = 2;
      throw error;
    }
    return this.device.control(eventId, op, arg);
  }

  receive(type: number, receiver: KernelRecordReceiver): void {
    this.receivers.set(type, receiver);
  }
}

/**
 * The `kmod` backend: events live in the kernel (`/dev/aem`, the `aem_core` module and its
 * service modules). The native binding watches the device fd from libuv; each wake-up drains
 * a batch of ring records, and each record goes to the receiver its kernel service set for its
 * type, in the service package, which decodes it and queues the activation.
 *
 * It knows no kernel service by name: services reach theirs through {@link KmodBackend.kernel}.
 * Keep-alive references are the binding's: the fd watcher is ref'd while any is held.
 */
export class KmodBackend implements Backend, KernelChannel {
  /** @inheritDoc */
  readonly kind = 'kmod' as const;
  /** @inheritDoc */
  readonly description = 'kmod (/dev/aem ring, drained per wake-up)';
  /** The generic channel to the kernel's service modules (this backend itself). */
  readonly kernel: KernelChannel = this;
  /** Kernel event id → the service it was attached through. */
  private readonly owners = new Map<number, BoundKernelService>();
  /** `name@version` → the bound service (one object per lookup key). */
  private readonly bound = new Map<string, BoundKernelService>();
  /** The batch handed to receivers, refilled on each wake-up. */
  private readonly batch: {
    records: Float64Array;
    count: number;
    layout: KernelRecordLayout;
    data: Uint8Array;
  };
  private refCount = 0;
  private closed = false;

  /**
   * @param device - an open `KmodDevice` (one AEM context).
   * @param layout - the binding's record layout.
   * @param natives - the binding's tables of native helpers, by name (see {@link KmodBackend.native}).
   * @internal Created by `createAem({ backend: 'kmod' | 'auto' })`.
   */
  constructor(
    private readonly device: KmodDeviceLike,
    layout: KernelRecordLayout,
    private readonly natives: Readonly<Record<string, unknown>> = {},
  ) {
    this.batch = { records: new Float64Array(0), count: 0, layout, data: device.data };
    device.listen((count, records) => this.drain(count, records));
    // The fd watcher holds the loop only while keep-alive references exist.
    device.unref();
  }

  /** True after {@link KmodBackend.close}. @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @inheritDoc */
  lookup(name: string, version: string): KernelService | undefined {
    const key = `${name}@${version}`;
    let service = this.bound.get(key);
    if (service !== undefined) return service;
    let info: KmodServiceInfo;
    try {
      info = this.device.lookup(name, version);
    } catch (error) {
      if ((error as { code?: string }).code === 'AEM_SERVICE_NOT_FOUND') return undefined;
      throw error;
    }
    service = new BoundKernelService(name, info.version, info, this, this.device);
    this.bound.set(key, service);
    return service;
  }

  /** @inheritDoc */
  native(name: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.natives, name)
      ? this.natives[name]
      : undefined;
  }

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
    this.owners.clear();
    this.device.close();
  }

  /** An event was attached through `service`. @internal */
  _owned(eventId: number, service: BoundKernelService): void {
    this.owners.set(eventId, service);
  }

  /** An event was detached. @internal */
  _released(eventId: number): void {
    this.owners.delete(eventId);
  }

  /**
   * Hands each record to the receiver of its service and type; a receiver may take several
   * records at once. Records of detached events, or of a type nobody receives, are skipped.
   */
  private drain(count: number, records: Float64Array): void {
    const batch = this.batch;
    batch.records = records;
    batch.count = count;
    const { fields, eventId, type } = batch.layout;
    const owners = this.owners;
    for (let i = 0; i < count;) {
      const at = i * fields;
      const receiver = owners.get(records[at + eventId])?.receivers.get(records[at + type]);
      if (receiver === undefined) {
        i++;
        continue;
      }
      const next = receiver(batch as KernelRecordBatch, i);
      i = next > i ? next : i + 1;
    }
  }
}
