/**
 * A handler class hook awaited when its handler version starts (at application start, in
 * module order, or when a hot upgrade loads it). A failure aborts the start or the upgrade.
 *
 * @example
 * ```ts
 * @Handler()
 * class Registrar implements OnStart {
 *   async onStart() { await this.store.open(); }
 * }
 * ```
 */
export interface OnStart {
  /** Prepares the handler. */
  onStart(): void | Promise<void>;
}

/**
 * A handler class hook awaited when its handler version stops (application stop, in reverse
 * module order, or when an upgraded-from version retires after its last session).
 *
 * @example
 * ```ts
 * @Handler()
 * class Registrar implements OnStop {
 *   async onStop() { await this.store.close(); }
 * }
 * ```
 */
export interface OnStop {
  /** Releases what the handler holds. */
  onStop(): void | Promise<void>;
}
