import { Subject, type Observable } from 'rxjs';
import { maxSatisfying, rcompare, validRange } from 'semver';
import { DEFAULT_LIMITS, type AemLimits, type AemOptions } from './aem-options';
import type { Backend, BackendSelection } from './backend/backend';
import { selectBackend } from './backend/select-backend';
import { Dispatcher } from './dispatch/dispatcher';
import { Domain, type DomainOptions } from './dispatch/domain';
import { JobQueue } from './dispatch/job-queue';
import type { AemError } from './errors/aem.error';
import { EventLimitError } from './errors/event-limit.error';
import type { HandlerFailedError } from './errors/handler-failed.error';
import type { JobFailedError } from './errors/job-failed.error';
import { InvalidArgumentError } from './errors/invalid-argument.error';
import { RuntimeClosedError } from './errors/runtime-closed.error';
import { ServiceAlreadyLoadedError } from './errors/service-already-loaded.error';
import { ServiceBusyError } from './errors/service-busy.error';
import { ServiceNotFoundError } from './errors/service-not-found.error';
import type { SourceFailedError } from './errors/source-failed.error';
import { checkPositiveInteger, resolveLimits } from './limits/resolve-limits';
import { LoadedService, type ServiceRuntime } from './service/loaded-service';
import { ServiceBinding } from './service/service-binding';
import type { ServiceDefinition } from './service/service-definition';

/** What {@link Aem.services} reports for each loaded version. */
export interface ServiceInfo {
  /** Service name. */
  readonly name: string;
  /** Exact version. */
  readonly version: string;
  /** `loaded`, or `draining` while an unload waits for its live events. */
  readonly status: 'loaded' | 'draining';
  /** Events of this version that are not closed. */
  readonly liveEvents: number;
  /** Names of its calls. */
  readonly calls: readonly string[];
  /** The definition's description. */
  readonly description?: string;
}

/** Options of {@link Aem.unload}. */
export interface UnloadOptions {
  /**
   * Wait for the version's live events to close instead of refusing. The version stops being
   * bindable and its bindings refuse new events at once.
   */
  readonly drain?: boolean;
  /** Shut down the version's live events (reason `unloaded`) and unload at once. */
  readonly force?: boolean;
}

/** Counters of a runtime, for health output and metrics. */
export interface AemStats {
  /** Events not closed. */
  readonly liveEvents: number;
  /** Activations queued (ready, waiting for a busy domain, or held by a stopped event). */
  readonly queuedActivations: number;
  /** Activations delivered to handlers since the runtime was created. */
  readonly delivered: number;
  /** Activations discarded because their event closed first. */
  readonly discarded: number;
  /** Activations that waited for a busy domain. */
  readonly parked: number;
  /** Handler and source failures reported on {@link Aem.errors}. */
  readonly errors: number;
  /** Keep-alive references held on the backend. */
  readonly keepAliveRefs: number;
  /** Loaded service versions. */
  readonly services: number;
}

/** Errors the runtime reports on {@link Aem.errors}. */
export type AemRuntimeError = HandlerFailedError | JobFailedError | SourceFailedError;

/**
 * The AEM runtime: one per process is usual ({@link aem}), more for tests and isolation
 * ({@link createAem}). It owns the service registry, the dispatcher and a backend.
 *
 * @example
 * ```ts
 * import { createAem } from '@aem/core';
 * import { channelService } from './channel-service';
 *
 * const runtime = createAem({ limits: { maxQueuePerDomain: 1000 } });
 * runtime.load(channelService);
 * const channel = runtime.bind<typeof channelService>('channel', '^1');
 * runtime.errors.subscribe((error) => console.error(error.message));
 * ```
 */
export class Aem {
  /** The backend the runtime runs on. */
  readonly backend: Backend;
  /** What was asked for, what was picked, and why. */
  readonly backendSelection: BackendSelection;
  /** The limits in force. */
  readonly limits: AemLimits;
  private readonly dispatcher: Dispatcher;
  private readonly jobs: JobQueue;
  private readonly registry = new Map<string, LoadedService[]>();
  private readonly errorSubject = new Subject<AemRuntimeError>();
  private readonly serviceRuntime: ServiceRuntime;
  private nextEventId = 1;
  private liveEvents = 0;
  private errorCount = 0;
  private isClosed = false;

  /**
   * Handler failures ({@link HandlerFailedError}), failures of jobs posted with
   * {@link Domain.post} ({@link JobFailedError}) and callback-form source failures
   * ({@link SourceFailedError}), with event id, service and domain. They never crash the
   * process. With no subscriber they are printed as process warnings so none goes unseen.
   */
  readonly errors: Observable<AemRuntimeError> = this.errorSubject.asObservable();

  /** @internal Use {@link createAem}. */
  constructor(options: AemOptions = {}) {
    this.limits = resolveLimits(DEFAULT_LIMITS, options.limits, 'options.limits');
    const { backend, selection } = selectBackend(options.backend ?? 'auto');
    this.backend = backend;
    this.backendSelection = selection;
    this.dispatcher = new Dispatcher(this.limits);
    this.jobs = new JobQueue(this.dispatcher, (error) => this.report(error));
    const limits = this.limits;
    const isClosed = (): boolean => this.isClosed;
    this.serviceRuntime = {
      get closed() {
        return isClosed();
      },
      dispatcher: this.dispatcher,
      backend,
      maxQueuePerDomain: limits.maxQueuePerDomain,
      reportError: (error) => this.report(error),
      reserveEvent: (service, call) => {
        if (this.liveEvents >= limits.maxEvents)
          throw new EventLimitError(limits.maxEvents, service, call);
        this.liveEvents++;
        return this.nextEventId++;
      },
      releaseEvent: () => {
        this.liveEvents--;
      },
    };
  }

  /** True after {@link Aem.close}. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Loads a service version (the original AEM's module load). Several versions of one service may be
   * loaded at once; {@link Aem.bind} picks among them.
   *
   * @param definition - from {@link defineService}.
   * @returns information about the loaded version.
   * @throws {@link ServiceAlreadyLoadedError} when that exact `name@version` is loaded.
   */
  load<S>(definition: ServiceDefinition<S>): ServiceInfo {
    this.assertOpen('load a service');
    const versions = this.registry.get(definition.name) ?? [];
    if (versions.some((entry) => entry.definition.version === definition.version)) {
      throw new ServiceAlreadyLoadedError(definition.name, definition.version);
    }
    const id = `${definition.name}@${definition.version}`;
    const state = definition.setup?.({
      backend: this.backend,
      id,
      createDomain: (domainName, options) => this.createDomain(domainName, options),
    });
    const entry = new LoadedService(definition as ServiceDefinition, state, this.serviceRuntime);
    versions.push(entry);
    versions.sort((a, b) => rcompare(a.definition.version, b.definition.version));
    this.registry.set(definition.name, versions);
    return describe(entry);
  }

  /**
   * Binds to the newest loaded version of a service that satisfies a semver range (the original AEM's
   * `GET_SYSNR`). Versions draining towards unload are not bindable.
   *
   * @example
   * ```ts
   * const v1 = runtime.bind<typeof channelV1>('channel', '^1');
   * const newest = runtime.bind(channelV2); // range ^2.0.0, typed from the definition
   * ```
   * @param service - a service name, or a definition (binds `^<its version>` by default, typed).
   * @param range - semver range; default `*` for a name, `^version` for a definition.
   * @throws {@link ServiceNotFoundError} listing the loaded versions when none satisfies.
   * @throws {@link InvalidArgumentError} for an invalid range.
   */
  bind<D extends ServiceDefinition = ServiceDefinition>(
    service: string | D,
    range?: string,
  ): ServiceBinding<D> {
    this.assertOpen('bind a service');
    const name = typeof service === 'string' ? service : service.name;
    const wanted = range ?? (typeof service === 'string' ? '*' : `^${service.version}`);
    if (validRange(wanted) === null) {
      throw new InvalidArgumentError('range', 'a semver range such as ^1.2.0', wanted);
    }
    const candidates = (this.registry.get(name) ?? []).filter((entry) => entry.status === 'loaded');
    const best = maxSatisfying(
      candidates.map((entry) => entry.definition.version),
      wanted,
    );
    const entry = candidates.find((candidate) => candidate.definition.version === best);
    if (entry === undefined) {
      throw new ServiceNotFoundError(
        name,
        wanted,
        candidates.map((candidate) => candidate.definition.version),
      );
    }
    return new ServiceBinding<D>(entry);
  }

  /**
   * Unloads a service version (the original AEM's module unload). With live events it is refused with
   * {@link ServiceBusyError}, unless `drain` (wait for them; the version accepts no new events
   * meanwhile) or `force` (shut them down).
   *
   * @returns a promise that resolves once the version is unloaded and its `teardown` ran.
   * @throws (rejects) {@link ServiceNotFoundError}, {@link ServiceBusyError}.
   */
  async unload(name: string, version: string, options: UnloadOptions = {}): Promise<void> {
    this.assertOpen('unload a service');
    const versions = this.registry.get(name) ?? [];
    const entry = versions.find((candidate) => candidate.definition.version === version);
    if (entry === undefined || entry.status === 'unloaded') {
      throw new ServiceNotFoundError(
        name,
        version,
        versions.map((candidate) => candidate.definition.version),
      );
    }
    if (entry.live.size > 0) {
      if (options.force) {
        for (const event of [...entry.live]) event._close('unloaded', undefined);
      } else if (!options.drain) {
        throw new ServiceBusyError(name, version, entry.live.size);
      }
    }
    entry.status = 'draining';
    await entry.whenEmpty();
    this.remove(entry);
  }

  /** The loaded versions, grouped by name, newest first. */
  services(): ServiceInfo[] {
    const infos: ServiceInfo[] = [];
    for (const versions of this.registry.values())
      for (const entry of versions) infos.push(describe(entry));
    return infos;
  }

  /**
   * Creates a serialization domain (a connection, a call, a transaction). See {@link Domain}.
   *
   * @param name - shown in errors and metrics.
   * @param options - `maxQueue` overrides `limits.maxQueuePerDomain` for this domain.
   */
  createDomain(name: string, options: DomainOptions = {}): Domain {
    const maxQueue = options.maxQueue ?? this.limits.maxQueuePerDomain;
    checkPositiveInteger('options.maxQueue', maxQueue);
    return new Domain(String(name), maxQueue, this.jobs);
  }

  /** A snapshot of the runtime's counters. */
  stats(): AemStats {
    const counters = this.dispatcher.counters;
    let services = 0;
    for (const versions of this.registry.values()) services += versions.length;
    return {
      liveEvents: this.liveEvents,
      queuedActivations: this.dispatcher.queued,
      delivered: counters.delivered,
      discarded: counters.discarded,
      parked: counters.parked,
      errors: this.errorCount,
      keepAliveRefs: this.backend.refs,
      services,
    };
  }

  /**
   * Closes the runtime: every live event is shut down (reason `unloaded`), every service's
   * `teardown` runs, the backend is released and {@link Aem.errors} completes. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.jobs.close();
    for (const versions of [...this.registry.values()]) {
      for (const entry of [...versions]) {
        for (const event of [...entry.live]) event._close('unloaded', undefined);
        this.remove(entry);
      }
    }
    this.backend.close();
    this.errorSubject.complete();
  }

  private remove(entry: LoadedService): void {
    entry.status = 'unloaded';
    const name = entry.definition.name;
    const versions = (this.registry.get(name) ?? []).filter((candidate) => candidate !== entry);
    if (versions.length > 0) this.registry.set(name, versions);
    else this.registry.delete(name);
    entry.definition.teardown?.(entry.state);
  }

  private report(error: AemError): void {
    this.errorCount++;
    if (!this.errorSubject.observed) {
      process.emitWarning(error.message, { type: 'AemWarning', code: error.code });
      return;
    }
    try {
      this.errorSubject.next(error as AemRuntimeError);
    } catch (observerError) {
      // An error observer that throws must not turn a reported failure into a crash.
      process.emitWarning(`an Aem.errors observer threw: ${String(observerError)}`, {
        type: 'AemWarning',
      });
    }
  }

  private assertOpen(operation: string): void {
    if (this.isClosed) throw new RuntimeClosedError(operation);
  }
}

/**
 * Creates an independent runtime, for tests and isolation; applications usually share the
 * default {@link aem}.
 *
 * @example
 * ```ts
 * const runtime = createAem({ backend: 'userspace', limits: { maxEvents: 10_000 } });
 * console.log(runtime.backendSelection); // { requested: 'userspace', kind: 'userspace', … }
 * runtime.close();
 * ```
 * @param options - backend and limits.
 * @throws {@link BackendUnavailableError} when the requested backend cannot be used here.
 * @throws {@link InvalidArgumentError} for a limit that is not a positive integer.
 */
export function createAem(options: AemOptions = {}): Aem {
  return new Aem(options);
}

function describe(entry: LoadedService): ServiceInfo {
  const { name, version, description, calls } = entry.definition;
  return {
    name,
    version,
    status: entry.status === 'draining' ? 'draining' : 'loaded',
    liveEvents: entry.live.size,
    calls: Object.keys(calls),
    description,
  };
}
