import type { TimerExpiration, Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { AppContainer } from '../container/app-container';
import { AppStateError } from '../errors/app-state.error';
import { InvalidHandlerError } from '../errors/invalid-handler.error';
import { UpgradeFailedError } from '../errors/upgrade-failed.error';
import type { SessionHost } from '../session/session-host';
import { RestartBudget, type RestartBudgetOptions } from '../supervision/restart-budget';
import { defineHandlerModule, loadHandlerModule, type HandlerModule } from './handler-module';
import { HandlerVersion } from './handler-version';

/**
 * What {@link AemApp.upgrade} reports.
 *
 * @example
 * ```ts
 * const { from, to, migrated, draining } = await app.upgrade(next);
 * ```
 */
export interface UpgradeReport {
  /** The version that was current. */
  readonly from: string;
  /** The new current version. */
  readonly to: string;
  /** Live sessions moved to the new version by its `migrateState`. */
  readonly migrated: number;
  /** Sessions left to finish on older versions. */
  readonly draining: number;
}

/** @internal What the {@link HandlerVersions} need from the running application. */
export interface HandlerVersionsContext {
  readonly container: AppContainer;
  readonly logger: Logger;
  readonly timers: Timers;
  readonly sessions: SessionHost;
  readonly restartBudget: RestartBudgetOptions | undefined;
  now(): number;
}

/**
 * @internal The loaded versions of the handler code and hot upgrade: the current one serves new
 * sessions and owns the `@OnTimer` timers; older ones drain their sessions and retire.
 */
export class HandlerVersions {
  private readonly versions: HandlerVersion[] = [];
  private currentVersion: HandlerVersion | undefined;
  private upgrading: Promise<unknown> = Promise.resolve();

  /** @param source - the `handlers` option: a module, or the file to load (and reload). */
  constructor(private readonly source: HandlerModule | string) {}

  /** The versions, newest first, as health reports them. */
  get health(): { version: string; status: HandlerVersion['status']; sessions: number }[] {
    return [...this.versions]
      .reverse()
      .map(({ version, status, sessions }) => ({ version, status, sessions }));
  }

  /** The version serving new sessions, if one started. */
  get currentName(): string | undefined {
    return this.currentVersion?.version;
  }

  /** The container of the current version, if one started. */
  get currentContainer(): AppContainer | undefined {
    return this.currentVersion?.container;
  }

  /** The version serving new sessions. @throws {@link AppStateError} before one started. */
  current(): HandlerVersion {
    if (this.currentVersion === undefined) throw new AppStateError('serve a session', 'starting');
    return this.currentVersion;
  }

  /** Starts the first version (the lifecycle's `handlers` step). */
  async start(context: HandlerVersionsContext): Promise<void> {
    const module =
      typeof this.source === 'string'
        ? loadHandlerModule(this.source)
        : defineHandlerModule(this.source);
    const version = new HandlerVersion(module, context.container.createChild());
    this.versions.push(version);
    try {
      await version.start();
    } catch (error) {
      // The hooks that did start are stopped: this step's own stop never runs.
      await version.stop((e) => context.logger.error({ err: e }, 'onStop failed'));
      throw error;
    }
    version.status = 'current';
    this.currentVersion = version;
  }

  /** Stops every version not retired, newest first (`onStop()` hooks). */
  async stop(logger: Logger): Promise<void> {
    for (const version of [...this.versions].reverse())
      if (version.status !== 'retired')
        await version.stop((error) => logger.error({ err: error }, 'onStop failed'));
  }

  /** Arms the `@OnTimer` timers of the current version. */
  startTimers(context: HandlerVersionsContext): void {
    const version = this.current();
    for (const handler of version.handlers.timer) {
      const budget = new RestartBudget(context.restartBudget);
      const run = async (expiration: TimerExpiration): Promise<void> => {
        try {
          await handler.call(expiration);
        } catch (error) {
          context.sessions.failed(version, handler.name, error);
          if (budget.fail(context.now())) {
            context.logger.error(
              { handler: handler.name },
              'timer handler over its restart budget: stopped',
            );
            event.shutdown();
          }
        }
      };
      const ms = handler.ms ?? 0;
      const event = handler.once ? context.timers.after(ms, run) : context.timers.every(ms, run);
      version.timers.push({ event, budget });
    }
  }

  /** Cancels the `@OnTimer` timers of every version. */
  stopTimers(): void {
    for (const version of this.versions) {
      for (const { event } of version.timers) event.shutdown();
      version.timers = [];
    }
  }

  /** Retires a version whose last session closed (`onStop()` hooks). */
  async retire(version: HandlerVersion, logger: Logger): Promise<void> {
    // Both the last session's close and the last async datagram handler may ask.
    if (version.stopping) return;
    await version.stop((error) => logger.error({ err: error }, 'onStop failed'));
    logger.info({ version: version.version }, 'handler version retired');
  }

  /** Hot upgrade, one at a time (see `AemApp.upgrade`). */
  upgrade(
    module: HandlerModule | undefined,
    context: HandlerVersionsContext,
  ): Promise<UpgradeReport> {
    const run = this.upgrading.then(() => this.doUpgrade(module, context));
    this.upgrading = run.catch(() => undefined);
    return run;
  }

  private async doUpgrade(
    given: HandlerModule | undefined,
    context: HandlerVersionsContext,
  ): Promise<UpgradeReport> {
    const { logger } = context;
    const old = this.current();
    const version = await this.load(given, old, context);
    this.versions.push(version);
    version.status = 'current';
    this.currentVersion = version;
    this.startTimers(context);
    for (const { event } of old.timers) event.shutdown();
    old.timers = [];
    const migrate = version.module.migrateState;
    const migrated = migrate === undefined ? 0 : await context.sessions.migrate(version, migrate);
    for (const v of this.versions) {
      if (v === version || v.status === 'retired') continue;
      v.status = 'draining';
      if (v.idle) await this.retire(v, logger);
    }
    const draining = this.versions
      .filter((v) => v.status === 'draining')
      .reduce((sum, v) => sum + v.sessions, 0);
    logger.info({ from: old.version, to: version.version, migrated, draining }, 'hot upgrade done');
    return { from: old.version, to: version.version, migrated, draining };
  }

  /** Loads and starts the candidate version; any failure refuses the upgrade, nothing changed. */
  private async load(
    given: HandlerModule | undefined,
    old: HandlerVersion,
    context: HandlerVersionsContext,
  ): Promise<HandlerVersion> {
    let to = given?.version ?? 'unknown';
    try {
      let module: HandlerModule;
      if (given !== undefined) module = defineHandlerModule(given);
      else if (typeof this.source === 'string') module = loadHandlerModule(this.source);
      else
        throw new InvalidHandlerError(
          'handlers',
          'is a module, not a file path: reload() and SIGHUP load a file again; call upgrade(module)',
        );
      to = module.version;
      if (this.versions.some((v) => v.version === module.version && v.status !== 'retired'))
        throw new InvalidHandlerError(
          `version ${module.version}`,
          'is already loaded: bump the module version for each upgrade',
        );
      const candidate = new HandlerVersion(module, context.container.createChild());
      await candidate.start().catch(async (error: unknown) => {
        await candidate.stop(() => undefined);
        throw error;
      });
      return candidate;
    } catch (error) {
      const failure = new UpgradeFailedError(old.version, to, error);
      context.logger.error({ err: failure, from: old.version, to }, 'upgrade refused');
      throw failure;
    }
  }
}
