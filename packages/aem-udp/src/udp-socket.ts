import { isIP } from 'node:net';
import {
  InvalidArgumentError,
  QueueFullError,
  type AemEvent,
  type CallContext,
  type Domain,
  type EventOptions,
  type EventSourceHooks,
  type ServiceBinding,
} from '@aem/core';
import type { Observable } from 'rxjs';
import { DatagramInbox } from './datagram-inbox';
import { DatagramTooLargeError } from './errors/datagram-too-large.error';
import { KeyedDomains } from './keyed-domains';
import { SendQueue } from './send-queue';
import type { UdpLimits } from './udp-limits';
import type { UdpServiceState } from './udp-service-state';
import type { UdpSocketStats } from './udp-socket-stats';
import type { DatagramReceiver, TransportSocket } from './transport/transport';

/** An address and port: a datagram's peer, or a socket's own bound address. */
export interface UdpPeer {
  /** An IP literal (`127.0.0.1`, `::1`, `::ffff:10.0.0.1` on a dual-stack socket). */
  readonly address: string;
  /** The UDP port. */
  readonly port: number;
  /** The address family of the socket it came on. */
  readonly family: 'IPv4' | 'IPv6';
}

/** Where to send a datagram: an IP literal and a port (a {@link UdpPeer} fits). */
export interface UdpTarget {
  /** An IP literal of the socket's family. */
  readonly address: string;
  /** 1 to 65535. */
  readonly port: number;
}

const FAMILY = { 4: 'IPv4', 6: 'IPv6' } as const;

/**
 * One received datagram: what a datagram handler receives — the payload, who sent it, the
 * socket to answer on, and when it arrived.
 *
 * It is the only object made per received datagram: its {@link Datagram.peer} is made on first
 * read, and {@link Datagram.reply} answers without making one.
 *
 * @example
 * ```ts
 * socket.onDatagram((datagram) => {
 *   console.log(`${datagram.data.length} bytes from ${datagram.peer.address}`);
 *   datagram.reply(datagram.data);
 * });
 * ```
 */
export class Datagram {
  /** The payload (the handler may keep it: it is not reused). */
  readonly data: Buffer;
  /** The socket it arrived on. */
  readonly socket: UdpSocket;
  /** When it was received: milliseconds since the epoch, fractional (as `Date.now()`). */
  readonly receivedAt: number;
  /** @internal */ readonly _address: string;
  /** @internal */ readonly _port: number;
  /** @internal */ readonly _family: 4 | 6;
  /** @internal Activations of it still queued (kept by the socket's inbox). */
  _owed = 0;
  /** @internal Whether one of them reached a handler. */
  _reached = false;
  private madePeer: UdpPeer | undefined = undefined;

  /** @internal Made by the socket. */
  constructor(
    data: Buffer,
    address: string,
    port: number,
    family: 4 | 6,
    socket: UdpSocket,
    receivedAt: number,
  ) {
    this.data = data;
    this._address = address;
    this._port = port;
    this._family = family;
    this.socket = socket;
    this.receivedAt = receivedAt;
  }

  /** Who sent it (frozen; made on first read). */
  get peer(): UdpPeer {
    return (this.madePeer ??= Object.freeze({
      address: this._address,
      port: this._port,
      family: FAMILY[this._family],
    }));
  }

  /**
   * Sends `data` back to the peer on the same socket: `datagram.socket.send(data,
   * datagram.peer)` without making the peer object.
   *
   * @returns as {@link UdpSocket.send}.
   * @throws {@link DatagramTooLargeError}, {@link @aem/core!InvalidArgumentError}.
   */
  reply(data: Uint8Array | string): boolean {
    return this.socket._sendTo(data, this._address, this._port);
  }
}

/** Everything a socket is built with. @internal */
export interface UdpSocketSetup {
  readonly socket: TransportSocket;
  readonly state: UdpServiceState;
  /**
   * The service's own binding, where the socket registers its events. Untyped here: its typed
   * form names the service definition, which names this file (an import cycle).
   */
  readonly events: ServiceBinding;
  readonly limits: UdpLimits;
  readonly domainKey: ((datagram: Datagram) => string) | undefined;
}

/** `state` of a socket. */
const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

/**
 * A bound UDP socket from {@link Udp.bind}. Its datagrams are AEM events: register handlers
 * with {@link UdpSocket.onDatagram} or subscribe to {@link UdpSocket.datagrams}.
 *
 * Serialization: without `domainKey` every datagram of the socket runs in the socket's domain
 * ({@link UdpSocket.domain}), one handler at a time, in arrival order. With
 * `domainKey: (datagram) => key`, datagrams of one key run in one domain, in order, and keys
 * interleave — the peer (`d.peer.address + ':' + d.peer.port`) or a protocol's transaction id
 * are typical keys. At most `limits.maxDomains` per-key domains live at once; idle ones are
 * reclaimed.
 *
 * Sending is batched: every {@link UdpSocket.send} of one tick leaves together
 * (`process.nextTick`): the replies to a kernel batch of datagrams in one ioctl. Limits are
 * counted drops, never silent: see
 * {@link UdpSocketStats}.
 *
 * @example
 * ```ts
 * const socket = await Udp.from(runtime).bind({ host: '127.0.0.1', port: 0 });
 * socket.onDatagram((d) => void d.reply(d.data.toString('utf8').toUpperCase()));
 * console.log(`echo on ${socket.address.port}`);
 * // later
 * await socket.close();
 * ```
 */
export class UdpSocket {
  /** The local address the socket is bound to (the actual port when bound to port 0). */
  readonly address: UdpPeer;
  /** The limits in force. */
  readonly limits: UdpLimits;

  private readonly socket: TransportSocket;
  private readonly state: UdpServiceState;
  private readonly events: ServiceBinding;
  private readonly inbox: DatagramInbox<Datagram>;
  private readonly outbox: SendQueue;
  private readonly keyed: KeyedDomains<Domain> | null;
  private readonly domainKey: ((datagram: Datagram) => string) | null;
  /** Made when first needed (see `domain`). */
  private ownDomain: Domain | null = null;
  private phase = OPEN;
  private closing: Promise<void> | undefined;
  /** Resolved by `_destroy`: ends a graceful close's wait for handlers. */
  private destroyed: PromiseWithResolvers<void> | undefined;
  /** Set by `_destroy`, which runs once. */
  private torn = false;
  private received = 0;
  private receivedBytes = 0;
  /** The kernel's drop count, read once when the socket closes (it leaves /proc then). */
  private finalKernelDrops: number | undefined;

  /** @internal Created by {@link Udp.bind}. */
  constructor(setup: UdpSocketSetup) {
    const { socket, limits } = setup;
    this.socket = socket;
    this.state = setup.state;
    this.events = setup.events;
    this.limits = limits;
    const bound = socket.address;
    this.address = Object.freeze({
      address: bound.address,
      port: bound.port,
      family: FAMILY[bound.family],
    });
    this.domainKey = setup.domainKey ?? null;
    this.keyed =
      this.domainKey === null
        ? null
        : new KeyedDomains(limits.maxDomains, (key) =>
            this.state.createDomain(`${this.name}/${key}`),
          );
    this.inbox = new DatagramInbox<Datagram>(
      limits,
      this.keyed === null ? () => this.domain : (datagram) => this.keyedDomain(datagram),
    );
    this.outbox = new SendQueue(socket, limits);
    socket.setReceiver(this.receive);
    this.state.sockets.add(this);
  }

  /** The transport's receiver: one call per datagram, the hot path. */
  private readonly receive: DatagramReceiver = (data, address, port, family, receivedAt) => {
    this.received++;
    this.receivedBytes += data.length;
    this.inbox.push(new Datagram(data, address, port, family, this, receivedAt));
  };

  /** `udp:<address>:<port>`, the name of the socket's domain (per-key ones add `/<key>`). */
  get name(): string {
    const { address, port, family } = this.address;
    return family === 'IPv6' ? `udp:[${address}]:${port}` : `udp:${address}:${port}`;
  }

  /**
   * The socket's serialization domain, where its datagrams run when it has no `domainKey`.
   * Post work there ({@link @aem/core!Domain.post}) to order it with the datagrams. Made on
   * first use.
   */
  get domain(): Domain {
    return (this.ownDomain ??= this.state.createDomain(this.name));
  }

  /** True once {@link UdpSocket.close} was called (or the service tore the socket down). */
  get closed(): boolean {
    return this.phase !== OPEN;
  }

  /** A snapshot of the socket's counters (reading it reads `/proc/net/udp` once). */
  get stats(): UdpSocketStats {
    const inbox = this.inbox;
    const outbox = this.outbox;
    return {
      received: this.received,
      receivedBytes: this.receivedBytes,
      delivered: inbox.delivered,
      droppedQueueFull: inbox.droppedQueueFull,
      droppedDomainsFull: inbox.droppedDomainsFull,
      droppedKeyErrors: inbox.droppedKeyErrors,
      droppedUndelivered: inbox.droppedUndelivered,
      sent: outbox.sent,
      sentBytes: outbox.sentBytes,
      sendErrors: outbox.sendErrors,
      droppedSendQueueFull: outbox.droppedSendQueueFull,
      droppedSendClosed: outbox.droppedSendClosed,
      kernelDrops: this.finalKernelDrops ?? this.socket.kernelDrops(),
      queuedDatagrams: inbox.queued,
      queuedBytes: inbox.queuedBytes,
      sendQueueDatagrams: outbox.queued,
      sendQueueBytes: outbox.queuedBytes,
      domains: this.keyed === null ? (this.ownDomain === null ? 0 : 1) : this.keyed.size,
    };
  }

  /**
   * The last error seen: a failed send (a batch's first error) or a `domainKey` that threw.
   * The counters say how many; this says why.
   */
  get lastError(): unknown {
    return this.outbox.lastError ?? this.inbox.lastKeyError;
  }

  /**
   * Registers a handler for the socket's datagrams. It runs in the socket's domain, or in the
   * datagram's per-key domain with `domainKey`; an async handler's promise is awaited before
   * the next datagram of that domain. Datagrams that arrived before the first registration are
   * held (within the queue limits) and delivered to it. Shut the returned event down to stop.
   *
   * @example
   * ```ts
   * const event = socket.onDatagram(async (d) => void d.reply(await answer(d.data)));
   * ```
   */
  onDatagram(
    handler: (datagram: Datagram) => void | PromiseLike<void>,
    options: Omit<EventOptions, 'domain'> = {},
  ): AemEvent<Datagram> {
    return this.events.call('datagrams', { socket: this }, handler, options);
  }

  /**
   * The socket's datagrams as a cold Observable: each subscription is one registration (as
   * {@link UdpSocket.onDatagram}); it completes when the socket closes, after what was queued.
   */
  datagrams(): Observable<Datagram> {
    return this.events.observe('datagrams', { socket: this }, {});
  }

  /**
   * Queues one datagram for this tick's batch.
   *
   * A socket closing while a handler awaits something is a routine race, so sending on a closed
   * socket is a result, not an exception.
   *
   * @example
   * ```ts
   * if (!socket.send('ping', { address: '127.0.0.1', port: 5060 })) console.log(socket.stats);
   * ```
   * @param data - the payload (a string is sent as UTF-8).
   * @param peer - where to: an IP literal and a port.
   * @returns `true` when queued; `false` when not (the send queue is full, or the socket is
   *   closed), counted in `stats.droppedSendQueueFull` or `stats.droppedSendClosed`.
   * @throws {@link DatagramTooLargeError} over `limits.maxDatagramBytes`;
   *   {@link @aem/core!InvalidArgumentError} for a payload that is neither bytes nor a string, or
   *   a peer that is not an IP literal and a port from 1 to 65535.
   */
  send(data: Uint8Array | string, peer: UdpTarget): boolean {
    const address = peer?.address;
    const port = peer?.port;
    if (typeof address !== 'string' || isIP(address) === 0) {
      throw new InvalidArgumentError('peer.address', 'an IP literal', address);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new InvalidArgumentError('peer.port', 'an integer from 1 to 65535', port);
    }
    return this._sendTo(data, address, port);
  }

  /** @internal `send` to a checked peer (also `Datagram.reply`). */
  _sendTo(data: Uint8Array | string, address: string, port: number): boolean {
    let bytes: Buffer;
    if (typeof data === 'string') {
      bytes = Buffer.from(data);
    } else if (data instanceof Uint8Array) {
      bytes = Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } else {
      throw new InvalidArgumentError('data', 'a Uint8Array or a string', data);
    }
    if (bytes.length > this.limits.maxDatagramBytes) {
      throw new DatagramTooLargeError(bytes.length, this.limits.maxDatagramBytes);
    }
    return this.outbox.push(bytes, address, port);
  }

  /** Resolves when every datagram sent so far has been handed to the kernel (or failed, counted). */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  /**
   * Graceful close: no more datagrams are delivered (later ones count as
   * `droppedUndelivered`); the handlers finish what was queued, and may still send; the
   * streams complete; then the queued sends are flushed and the socket closes. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** @internal The `datagrams` call's implementation: one registration. */
  _attach(sink: CallContext<Datagram>): EventSourceHooks<Datagram> {
    const inbox = this.inbox;
    inbox.addSink(sink);
    return {
      start: () => {
        if (this.phase !== OPEN) sink.end();
        else inbox.started();
      },
      delivered: (datagram) => inbox.onDelivered(datagram),
      discarded: (datagram) => inbox.onDiscarded(datagram),
      close: () => inbox.removeSink(sink),
    };
  }

  /** @internal Service teardown: close now, without waiting for handlers. */
  _destroy(): void {
    if (this.torn) return;
    this.torn = true;
    this.phase = CLOSED;
    this.inbox.end();
    this.finalKernelDrops ??= this.socket.kernelDrops();
    void this.outbox.close();
    void this.socket.close();
    this.keyed?.clear();
    this.state.sockets.delete(this);
    this.closing ??= Promise.resolve();
    this.destroyed?.resolve();
  }

  private keyedDomain(datagram: Datagram): Domain | null {
    const key = (this.domainKey as (datagram: Datagram) => string)(datagram);
    if (typeof key !== 'string')
      throw new InvalidArgumentError('domainKey(datagram)', 'a string', key);
    return (this.keyed as KeyedDomains<Domain>).get(key);
  }

  private async shutdown(): Promise<void> {
    this.phase = CLOSING;
    this.destroyed = Promise.withResolvers<void>();
    this.inbox.end();
    await Promise.race([this.handlersSettled(), this.destroyed.promise]);
    this.phase = CLOSED;
    await this.outbox.close();
    this.finalKernelDrops ??= this.socket.kernelDrops();
    await this.socket.close();
    this.keyed?.clear();
    this.state.sockets.delete(this);
  }

  /**
   * Resolves once every domain of the socket has run what it had queued, async handlers
   * included: a lowest-priority job posted into each domain runs after all of it. No poll.
   */
  private async handlersSettled(): Promise<void> {
    const domains =
      this.keyed !== null
        ? [...this.keyed.values()]
        : this.ownDomain === null
          ? []
          : [this.ownDomain];
    await Promise.all(domains.map((domain) => this.settled(domain)));
  }

  private async settled(domain: Domain): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { promise, resolve } = Promise.withResolvers<void>();
      try {
        if (!domain.post(resolve, { priority: 0 })) return; // the runtime closed
        return await promise;
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        // The domain's queue is full of this socket's datagrams: wait until they are delivered.
        await this.inbox.drained();
      }
    }
  }
}
