import {
  defineCall,
  defineService,
  type CallContext,
  type CallSpec,
  type ServiceDefinition,
} from '@aem/core';

/** The service's name in the AEM registry. */
export const UDP_SERVICE_NAME = 'udp';

/** The service's version (semver; bump it with every change of its calls). */
export const UDP_SERVICE_VERSION = '0.1.0';

/**
 * Arguments of the `events` call.
 *
 * @example
 * ```ts
 * const args: TopicArgs = { topic: 'alarms' };
 * ```
 */
export interface TopicArgs {
  /** The topic whose events the registration receives. */
  readonly topic: string;
}

/**
 * The service's per-runtime state: the registrations of each topic.
 *
 * @example
 * ```ts
 * const state: UdpState = { subscribers: new Map() };
 * ```
 */
export interface UdpState {
  /** Call contexts registered per topic. */
  readonly subscribers: Map<string, Set<CallContext<unknown>>>;
}

/**
 * The calls of the service.
 *
 * @example
 * ```ts
 * const names: (keyof UdpCalls)[] = ['events'];
 * ```
 */
export type UdpCalls = {
  /** One activation per event published on `topic`. */
  readonly events: CallSpec<UdpState, TopicArgs, unknown>;
};

/**
 * The definition's type, to type a binding.
 *
 * @example
 * ```ts
 * const binding = runtime.bind<UdpServiceDefinition>('udp', '^0.1');
 * ```
 */
export type UdpServiceDefinition = ServiceDefinition<UdpState, UdpCalls>;

/**
 * The `udp` service: a topic channel. `events { topic }` registers for a topic's
 * events; the client's `publish` activates every registration of the topic. Replace the
 * channel with the service's real activation source (a socket, a device, a timer wheel).
 *
 * Each runtime that loads it gets its own state from `setup`; the core keeps it and hands it to
 * the calls and to every binding (`binding.state`), so the service keeps no registry of its own.
 *
 * @example
 * ```ts
 * runtime.load(udpService);
 * ```
 */
export const udpService: UdpServiceDefinition = defineService<UdpState, UdpCalls>({
  name: UDP_SERVICE_NAME,
  version: UDP_SERVICE_VERSION,
  description: 'the udp service',
  setup: () => ({ subscribers: new Map() }),
  teardown: (state) => state.subscribers.clear(),
  calls: {
    events: defineCall<TopicArgs, unknown, UdpState>((ctx, args, state) => {
      let subscribers = state.subscribers.get(args.topic);
      if (subscribers === undefined) state.subscribers.set(args.topic, (subscribers = new Set()));
      const registered = subscribers;
      registered.add(ctx);
      return { close: () => void registered.delete(ctx) };
    }),
  },
});
