import { AppKitError } from './app-kit.error';

/**
 * A hot upgrade was refused: the new handler module could not be loaded or validated, its
 * version is already running, or one of its `onStart` hooks failed. The running version keeps
 * serving; nothing changed.
 *
 * @example
 * ```ts
 * app.upgrade(next).catch((error: UpgradeFailedError) => log.error({ to: error.toVersion }, error.message));
 * ```
 */
export class UpgradeFailedError extends AppKitError {
  /** @inheritDoc */
  readonly code = 'AEM_APP_UPGRADE_FAILED';

  /**
   * @param fromVersion - the version running when the upgrade was asked.
   * @param toVersion - the version asked for (`unknown` when the module could not be read).
   * @param cause - why.
   */
  constructor(
    readonly fromVersion: string,
    readonly toVersion: string,
    cause: unknown,
  ) {
    super(
      `upgrade ${fromVersion} → ${toVersion} refused: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}
