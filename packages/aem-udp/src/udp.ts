import { isIP } from 'node:net';
import {
  InvalidArgumentError,
  RuntimeClosedError,
  ServiceUnloadedError,
  resolveLimits,
  type Aem,
  type ServiceBinding,
} from '@aem/core';
import { SocketFailedError } from './errors/socket-failed.error';
import type { UdpLimits } from './udp-limits';
import { UDP_SERVICE_NAME, udpService, type UdpServiceDefinition } from './udp-service';
import { UdpServiceState } from './udp-service-state';
import { UdpSocket, type Datagram } from './udp-socket';

/** Largest UDP payload over IPv6 without jumbograms (65,535 − 8): the cap of `maxDatagramBytes`. */
const MAX_UDP_PAYLOAD = 65_527;

/** Options of {@link Udp.bind}. */
export interface BindOptions {
  /** Port; `0` picks a free one (read it from `socket.address.port`). */
  readonly port: number;
  /**
   * Local address, an IP literal. Default `0.0.0.0` (every IPv4 interface); an IPv6 literal
   * (`::`, `::1`) makes an IPv6 socket — `::` is dual-stack and sees IPv4 peers as
   * `::ffff:a.b.c.d`.
   */
  readonly host?: string;
  /** SO_REUSEPORT: several sockets (processes, workers) share the port. Default `false`. */
  readonly reusePort?: boolean;
  /** SO_RCVBUF in bytes (the kernel doubles it and caps it at `net.core.rmem_max`). */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF in bytes (the kernel doubles it and caps it at `net.core.wmem_max`). */
  readonly sendBufferSize?: number;
  /** Overrides of the service's limits ({@link DEFAULT_UDP_LIMITS} unless the service set others). */
  readonly limits?: Partial<UdpLimits>;
  /**
   * The domain of a datagram. Absent: one domain for the whole socket. Given: datagrams with
   * the same key run in the same domain, one at a time and in order; keys interleave. Called
   * once per received datagram, so keep it cheap; a throw drops the datagram (counted in
   * `stats.droppedKeyErrors`).
   */
  readonly domainKey?: (datagram: Datagram) => string;
}

/**
 * The UDP service's client API on one runtime: {@link Udp.bind}. Get one with {@link Udp.from}.
 *
 * @example
 * ```ts
 * import { createAem } from '@aem/core';
 * import { Udp } from '@aem/udp';
 *
 * const runtime = createAem();
 * const socket = await Udp.from(runtime).bind({ host: '127.0.0.1', port: 0 });
 * socket.onDatagram((datagram) => void datagram.reply(datagram.data));
 * ```
 */
export class Udp {
  private constructor(
    private readonly runtime: Aem,
    /** The service binding in use. */
    readonly binding: ServiceBinding<UdpServiceDefinition>,
    private readonly state: UdpServiceState,
  ) {}

  /**
   * The UDP API of `runtime`: binds the newest loaded `udp` service satisfying `range`,
   * loading {@link udpService} first when no version is loaded.
   *
   * @param runtime - the AEM runtime.
   * @param range - semver range of the service version. Default `^1`.
   * @throws {@link @aem/core!InvalidArgumentError} when the loaded `udp` service is not this
   *   package's; whatever `runtime.bind` throws (no version in `range`, runtime closed).
   */
  static from(runtime: Aem, range = '^1'): Udp {
    if (!runtime.services().some((service) => service.name === UDP_SERVICE_NAME))
      runtime.load(udpService);
    const binding = runtime.bind<UdpServiceDefinition>(UDP_SERVICE_NAME, range);
    const state: unknown = binding.state;
    if (!(state instanceof UdpServiceState))
      throw new InvalidArgumentError(
        'runtime',
        `a runtime where ${binding.id} was loaded by @aem/udp`,
        runtime,
      );
    return new Udp(runtime, binding, state);
  }

  /**
   * Where this runtime's UDP sockets come from: `'kernel'` (`aem_udp.ko`, on the kmod backend
   * with the module loaded), `'mmsg'` (userspace with batched system calls: `recvmmsg` and
   * `sendmmsg` through `@aem/kmod/binding`, the default when that binding loads) or `'node'`
   * (`node:dgram`: when the binding is not installed, or with `AEM_UDP_TRANSPORT=node`).
   * `AEM_UDP_TRANSPORT=mmsg` makes the binding required. Fixed for the runtime's life. An
   * application that must run on the kernel path checks it before binding, since the kmod
   * backend falls back to userspace.
   *
   * @example
   * ```ts
   * if (Udp.from(runtime).transport !== 'kernel') throw new Error('load aem_udp.ko');
   * ```
   */
  get transport(): 'node' | 'mmsg' | 'kernel' {
    return this.state.transport.name;
  }

  /**
   * Binds a UDP socket. Resolves once it is bound; datagrams are held for the first handler.
   *
   * @example
   * ```ts
   * const socket = await udp.bind({ host: '::1', port: 0, domainKey: (d) => d.peer.address });
   * ```
   * @throws (rejects) {@link SocketFailedError} (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, …),
   *   {@link @aem/core!InvalidArgumentError} for bad options,
   *   {@link @aem/core!RuntimeClosedError} after `runtime.close()`, and
   *   {@link @aem/core!ServiceUnloadedError} once the service version was unloaded.
   */
  async bind(options: BindOptions): Promise<UdpSocket> {
    if (this.runtime.closed) throw new RuntimeClosedError('bind a UDP socket');
    if (this.state.unloaded) throw new ServiceUnloadedError(this.binding.id, 'unloaded');
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'an object', options);
    const { port, host = '0.0.0.0', reusePort = false, domainKey } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new InvalidArgumentError('options.port', 'an integer from 0 to 65535', port);
    const family = typeof host === 'string' ? isIP(host) : 0;
    if (family !== 4 && family !== 6)
      throw new InvalidArgumentError('options.host', 'an IPv4 or IPv6 literal', host);
    if (typeof reusePort !== 'boolean')
      throw new InvalidArgumentError('options.reusePort', 'a boolean', reusePort);
    for (const name of ['recvBufferSize', 'sendBufferSize'] as const) {
      const size = options[name];
      if (size !== undefined && (!Number.isSafeInteger(size) || size <= 0))
        throw new InvalidArgumentError(`options.${name}`, 'a positive integer', size);
    }
    if (domainKey !== undefined && typeof domainKey !== 'function')
      throw new InvalidArgumentError('options.domainKey', 'a function', domainKey);
    const limits = resolveLimits(this.state.limits, options.limits, 'options.limits');
    if (limits.maxDatagramBytes > MAX_UDP_PAYLOAD)
      throw new InvalidArgumentError(
        'options.limits.maxDatagramBytes',
        `at most ${MAX_UDP_PAYLOAD} (the largest UDP payload)`,
        limits.maxDatagramBytes,
      );
    const target = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    let socket;
    try {
      socket = await this.state.transport.bind({
        host,
        port,
        family,
        reusePort,
        ...(options.recvBufferSize === undefined ? {} : { recvBufferSize: options.recvBufferSize }),
        ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
      });
    } catch (error) {
      throw new SocketFailedError('bind', target, error);
    }
    if (this.runtime.closed || this.state.unloaded) {
      // Closed or unloaded while binding: teardown has run, so this socket would be nobody's.
      await socket.close();
      if (this.runtime.closed) throw new RuntimeClosedError('bind a UDP socket');
      throw new ServiceUnloadedError(this.binding.id, 'unloaded');
    }
    return new UdpSocket({
      socket,
      state: this.state,
      events: this.binding,
      limits,
      domainKey,
    });
  }
}
