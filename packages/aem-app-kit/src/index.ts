/**
 * The AEM application kit: an application is a few handler classes — the kit does the wiring
 * (an inversify container wrapped behind a small stable API), the lifecycle with graceful stop
 * on signals, per-session state and `gen_statem`-like state machines on the timers service,
 * supervision with a restart budget, hot upgrade of the handler code in a running process, a
 * worker-thread pool that runs CPU-heavy handler steps off the event loop (the capsule),
 * pino logging, and Prometheus metrics with `/metrics` and `/health`.
 *
 * @packageDocumentation
 */

/* Application */
export { AemApp, createApp, runApp } from './application/aem-app';
export type { UpgradeReport } from './application/aem-app';
export type { AppOptions } from './application/app-options';
export type { AppHealth, AppStatus, ClientHealth, VersionHealth } from './application/app-health';
export { Lifecycle } from './lifecycle/lifecycle';
export type { LifecycleStep } from './lifecycle/lifecycle';

/* Container */
export { AppContainer } from './container/app-container';
export { Inject, Injectable } from './container/inject.decorator';
export type {
  InjectOptions,
  InjectedTypes,
  TypedClassDecorator,
} from './container/inject.decorator';
export { injectionToken } from './container/injection-token';
export type { InjectionToken, ServiceKey } from './container/injection-token';
export {
  CAPSULE,
  CONFIG,
  ERRORS,
  LOGGER,
  RUNTIME,
  TCP,
  TCP_SERVER,
  TIMERS,
  UDP,
  UDP_SOCKET,
  configToken,
} from './container/tokens';

/**
 * Prefix of every DI token the application kit defines (`Symbol.for('aem:<name>')`).
 *
 * @example
 * ```ts
 * console.log(RUNTIME.description?.startsWith(APP_KIT_TOKEN_PREFIX)); // true
 * ```
 */
export const APP_KIT_TOKEN_PREFIX = 'aem:';

/* Handlers */
export { Handler } from './decorators/handler.decorator';
export { OnConnection } from './decorators/on-connection.decorator';
export { OnMessage } from './decorators/on-message.decorator';
export type { OnMessageOptions } from './decorators/on-message.decorator';
export { OnDatagram } from './decorators/on-datagram.decorator';
export { OnClose } from './decorators/on-close.decorator';
export { OnTimer } from './decorators/on-timer.decorator';
export type { OnTimerOptions } from './decorators/on-timer.decorator';
export { handlerMethodsOf } from './decorators/handler-metadata';
export type { HandlerClass, HandlerKind, HandlerMethod } from './decorators/handler-metadata';
export type { OnStart, OnStop } from './decorators/lifecycle-hooks';
export { Session } from './session/session';
export type { AppClientOptions, BackoffOptions } from './session/outbound-client';

/* Capsule: handlers off the event loop */
export { CapsulePool } from './capsule/capsule-pool';
export type {
  CapsuleCloseOptions,
  CapsulePoolOptions,
  CapsulePoolStats,
} from './capsule/capsule-pool';
export { capsuleTask } from './capsule/capsule-task';
export type { CapsuleTask } from './capsule/capsule-task';
export { transferListOf } from './capsule/transfer-list';

/* State machines */
export { StateMachine } from './statem/state-machine';
export type {
  NamedTimeoutOptions,
  PayloadArg,
  StateActions,
  StateHandler,
  StateMachineOptions,
} from './statem/state-machine';
export type { ReplyTo } from './statem/reply-to';
export type { StateMachineEvent } from './statem/state-machine-event';

/* Supervision */
export { DEFAULT_RESTART_BUDGET, RestartBudget } from './supervision/restart-budget';
export type { RestartBudgetOptions } from './supervision/restart-budget';
export { Supervisor } from './supervision/supervisor';
export type {
  ChildRestart,
  ChildSpec,
  RestartStrategy,
  RunningChild,
  SupervisedChild,
  SupervisorEvent,
  SupervisorOptions,
} from './supervision/supervisor';

/* Hot upgrade */
export { defineHandlerModule, loadHandlerModule } from './upgrade/handler-module';
export type { HandlerModule } from './upgrade/handler-module';
export { runCli } from './cli/app-kit-cli';
export type { CliIo } from './cli/app-kit-cli';

/* Every core: cluster */
export { runClusterPrimary } from './cluster/cluster-primary';
export type { ClusterOptions, ClusterPrimary, WorkerUpgrade } from './cluster/cluster-primary';
export { linkWorker } from './cluster/worker-link';

/* Protection */
export { DEFAULT_FLOOD_GUARD, FloodGuard } from './protection/flood-guard';
export type { BanReason, FloodGuardOptions, FloodGuardStats } from './protection/flood-guard';
export { registerFloodGuardMetrics } from './protection/flood-guard-metrics';
export { AddressList } from './protection/address-list';

/* Logging and metrics */
export { createLogger } from './logging/create-logger';
export { AppMetrics } from './metrics/app-metrics';
export type { MetricsSource } from './metrics/app-metrics';
export type { AdminHttpOptions } from './metrics/admin-server';

/* Errors */
export { AppKitError } from './errors/app-kit.error';
export { AppStateError } from './errors/app-state.error';
export { DependencyResolutionError } from './errors/dependency-resolution.error';
export { MissingInjectError } from './errors/missing-inject.error';
export { UnboundTokenError } from './errors/unbound-token.error';
export { InvalidConfigError } from './errors/invalid-config.error';
export { InvalidHandlerError } from './errors/invalid-handler.error';
export { SupervisorShutdownError } from './errors/supervisor-shutdown.error';
export { StateMachineStoppedError } from './errors/state-machine-stopped.error';
export { RestartBudgetExceededError } from './errors/restart-budget-exceeded.error';
export { UpgradeFailedError } from './errors/upgrade-failed.error';
export { CapsuleClosedError } from './errors/capsule-closed.error';
export { CapsuleQueueFullError } from './errors/capsule-queue-full.error';
export { CapsuleTaskFailedError } from './errors/capsule-task-failed.error';
export { CapsuleTimeoutError } from './errors/capsule-timeout.error';
export { CapsuleWorkerCrashedError } from './errors/capsule-worker-crashed.error';
