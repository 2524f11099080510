/**
 * The AEM event core: services, events, the dispatcher and its backends. "The original AEM" in
 * these docs is the Asynchronous Event Mechanism described in the AEM articles (Linux Journal,
 * 2003 and 2004), whose kernel core and service modules this package mirrors.
 *
 * @packageDocumentation
 */

/* Runtime */
export { Aem, createAem } from './aem';
export type { AemRuntimeError, AemStats, ServiceInfo, UnloadOptions } from './aem';
export { aem } from './default-aem';
export { DEFAULT_LIMITS } from './aem-options';
export type { AemLimits, AemOptions } from './aem-options';
export { resolveLimits } from './limits/resolve-limits';

/* Services */
export { defineService } from './service/define-service';
export { defineCall } from './service/service-definition';
export type { EventSourceHooks } from './service/event-source-hooks';
export type {
  CallArgs,
  CallImplementation,
  CallMap,
  CallPayload,
  CallSpec,
  ServiceDefinition,
  ServiceHost,
  ServiceState,
} from './service/service-definition';
export { ServiceBinding } from './service/service-binding';
export type { ObserveOptions, OnceOptions } from './service/service-binding';

/* Events */
export { AemEvent } from './event/aem-event';
export type { CallContext } from './event/call-context';
export type { EventHandler } from './event/aem-event';
export { DEFAULT_PRIORITY } from './dispatch/priority';
export type { EventFlags, EventOptions, HandlerErrorPolicy } from './event/event-options';
export type { EventCloseReason, EventState } from './event/event-state';

/* Dispatch */
export { Domain } from './dispatch/domain';
export type { DomainOptions, PostOptions } from './dispatch/domain';
export type { DomainJob } from './dispatch/job-queue';
export { PRIORITY_LEVELS } from './dispatch/dispatcher';

/* Backends */
export type { Backend, BackendKind, BackendRequest, BackendSelection } from './backend/backend';
export type {
  KernelAttachOptions,
  KernelChannel,
  KernelRecordBatch,
  KernelRecordLayout,
  KernelRecordReceiver,
  KernelService,
} from './backend/kernel-channel';
export { AEM_DEVICE_PATH } from './backend/select-backend';

/* Errors */
export { AemError } from './errors/aem.error';
export { AbortedError } from './errors/aborted.error';
export { BackendUnavailableError } from './errors/backend-unavailable.error';
export { EventClosedError } from './errors/event-closed.error';
export { EventLimitError } from './errors/event-limit.error';
export { HandlerFailedError } from './errors/handler-failed.error';
export { JobFailedError } from './errors/job-failed.error';
export { InvalidArgumentError } from './errors/invalid-argument.error';
export { QueueFullError } from './errors/queue-full.error';
export { RuntimeClosedError } from './errors/runtime-closed.error';
export { ServiceAlreadyLoadedError } from './errors/service-already-loaded.error';
export { ServiceBusyError } from './errors/service-busy.error';
export { ServiceNotFoundError } from './errors/service-not-found.error';
export { ServiceUnloadedError } from './errors/service-unloaded.error';
export { SourceFailedError } from './errors/source-failed.error';
