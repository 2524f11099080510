/**
 * Where each field of a record sits among the `fields` doubles of its slot in a
 * {@link KernelRecordBatch}. What `word0`, `word1` and the data bytes mean is the kernel
 * service's own record format, decoded by the service package.
 */
export interface KernelRecordLayout {
  /** Doubles per record. */
  readonly fields: number;
  /** The event the record belongs to. */
  readonly eventId: number;
  /** The record type (`AEM_REC_*`), one per kernel service format. */
  readonly type: number;
  /** The event's priority when the record was produced. */
  readonly priority: number;
  /** The user data given at attach time. */
  readonly userData: number;
  /** First word of the service's payload. */
  readonly word0: number;
  /** Second word of the service's payload. */
  readonly word1: number;
  /** Offset of the record's bytes in {@link KernelRecordBatch.data} (-1 without data). */
  readonly dataOffset: number;
  /** Length of the record's bytes (-1 without data). */
  readonly dataLength: number;
}

/**
 * One wake-up's worth of kernel records, as the kmod backend drained them from the ring. It is
 * reused for the next batch: read what you need before the receiver returns, and copy bytes out
 * of {@link KernelRecordBatch.data}.
 */
export interface KernelRecordBatch {
  /** `count × layout.fields` doubles: record `i`'s field `f` is `records[i * fields + f]`. */
  readonly records: Float64Array;
  /** Records in this batch. */
  readonly count: number;
  /** Where each field sits. */
  readonly layout: KernelRecordLayout;
  /** The bytes records carry (see {@link KernelRecordLayout.dataOffset}). */
  readonly data: Uint8Array;
}

/**
 * Receives records of one type of one kernel service, starting with record `index` of the batch,
 * and returns the index after the last record it used (at least `index + 1`): a receiver may
 * take several consecutive records at once (a TCP receiver coalesces one connection's data).
 */
export type KernelRecordReceiver = (batch: KernelRecordBatch, index: number) => number;

/** Options of {@link KernelService.attach}. */
export interface KernelAttachOptions {
  /** Kernel priority of the event, 0–7. Default 0. */
  readonly priority?: number;
  /** Start the event at once. Default `true`. */
  readonly start?: boolean;
}

/**
 * One kernel service module (`aem_timers.ko`, `aem_tcp.ko`, …) bound through the kmod backend's
 * {@link KernelChannel}: the user-space side of its `aem_service_ops` table. The core knows
 * nothing of its calls or records; the service package encodes the arguments and decodes the
 * records.
 */
export interface KernelService {
  /** Service name, as the kernel module registered it. */
  readonly name: string;
  /** The exact version bound. */
  readonly version: string;
  /**
   * Registers an event through call `call` (0-based among the service's calls) with `args` in
   * the service's own argument format (the kernel's `aem_entry`). The event's records reach the
   * receiver of their type ({@link KernelService.receive}) until {@link KernelService.detach}.
   *
   * @returns the kernel event id.
   * @throws an `Error` with `code` and `errno` when the kernel refuses.
   */
  attach(call: number, args: Uint8Array | null, options?: KernelAttachOptions): number;
  /** Starts (or restarts) an event: `EVJOBSTART`. */
  start(eventId: number): void;
  /** Stops an event; the kernel holds its activations back: `EVJOBSTOP`. */
  stop(eventId: number): void;
  /**
   * Shuts an event down and releases it (`EVJOBSHTDN`); its late records are dropped.
   *
   * @returns `false` for an event that is not attached (already detached, or never was).
   */
  detach(eventId: number): boolean;
  /**
   * Runs the service's own operation `op` on an event (`AEM_IOC_CONTROL`), for what does not fit
   * the common calls, such as sending a batch of datagrams in one system call. `op` and the bytes
   * of `arg` are in the service's own format; the kernel reads `arg` in place and may write
   * results back into it.
   *
   * @returns the operation's result, a non-negative number it defines.
   * @throws an `Error` with `code` and `errno` when the kernel refuses: `AEM_EVENT_CLOSED` for an
   *   event that is not attached, `AEM_INVALID_ARGUMENT` for a bad operation or argument (or a
   *   service without operations).
   */
  control(eventId: number, op: number, arg: Uint8Array): number;
  /** Sets the receiver of this service's records of type `type` (one per type; the last wins). */
  receive(type: number, receiver: KernelRecordReceiver): void;
  /** Events attached and not detached. */
  readonly attached: number;
}

/**
 * The kmod backend's generic channel to kernel service modules: look a service up, attach
 * events to it, receive its records. It mirrors the kernel, where `aem_core` keeps each service
 * behind one `aem_service_ops` table; the record formats and their types live in the service
 * packages (`@aem/timers`, `@aem/tcp`), so a new kernel service needs no change in the core.
 *
 * @example
 * ```ts
 * const kernel = runtime.backend.kernel;
 * const timers = kernel?.lookup('timers', '1.0.0');
 * if (timers !== undefined) {
 *   timers.receive(1, (batch, i) => {
 *     const { records, layout } = batch;
 *     console.log('expirations', records[i * layout.fields + layout.word0]);
 *     return i + 1;
 *   });
 *   const id = timers.attach(0, encodeTimerArgs(5_000_000, 0));
 * }
 * ```
 */
export interface KernelChannel {
  /**
   * Binds a kernel service: the newest loaded version with the same major and at least
   * `version`. The same object is returned for the same name and version.
   *
   * @returns `undefined` when no such service module is loaded.
   */
  lookup(name: string, version: string): KernelService | undefined;
  /**
   * A named table of native helpers the binding offers next to the device (for example
   * `sock`: the system calls around the kernel TCP service's sockets), typed by the service
   * package that uses it.
   *
   * @returns `undefined` when the binding has no such table.
   */
  native(name: string): unknown;
}
