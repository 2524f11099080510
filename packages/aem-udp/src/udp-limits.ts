/**
 * Per-socket limits. Each has a default; each is enforced by a counted drop or a typed error —
 * memory never grows without bound and nothing is lost unseen. Override any of them with
 * `bind({ limits })`; each must be a positive integer.
 */
export interface UdpLimits {
  /**
   * Largest datagram `send` accepts, in bytes; a larger one throws a
   * {@link DatagramTooLargeError}. Default 65,507: the largest UDP payload over IPv4
   * (65,535 − 8 bytes of UDP header − 20 of IP header).
   */
  readonly maxDatagramBytes: number;
  /**
   * Received datagrams waiting for handlers (queued activations, and datagrams held while no
   * handler is registered). Over it, an arriving datagram is dropped and counted in
   * `stats.droppedQueueFull`. Default 4,096.
   */
  readonly maxQueuedDatagrams: number;
  /** Bytes of the datagrams `maxQueuedDatagrams` counts; same rule. Default 16 MiB. */
  readonly maxQueuedBytes: number;
  /**
   * Datagrams queued by `send` and not yet handed to the kernel (this tick's batch and batches
   * still in flight). Over it, `send` returns `false` and counts `stats.droppedSendQueueFull`.
   * Default 4,096.
   */
  readonly maxSendQueueDatagrams: number;
  /** Bytes of the datagrams `maxSendQueueDatagrams` counts; same rule. Default 16 MiB. */
  readonly maxSendQueueBytes: number;
  /**
   * Live per-key domains of a socket bound with `domainKey`. A datagram with a new key when
   * every one of them is busy (work queued or a handler running) is dropped and counted in
   * `stats.droppedDomainsFull`; idle ones are reclaimed first. Default 65,536.
   */
  readonly maxDomains: number;
}

/** Defaults of {@link UdpLimits}. */
export const DEFAULT_UDP_LIMITS: UdpLimits = Object.freeze({
  maxDatagramBytes: 65_507,
  maxQueuedDatagrams: 4_096,
  maxQueuedBytes: 16_777_216,
  maxSendQueueDatagrams: 4_096,
  maxSendQueueBytes: 16_777_216,
  maxDomains: 65_536,
});

/** Options of the UDP service itself, given to {@link createUdpService}. */
export interface UdpServiceOptions {
  /**
   * The limits of every socket of the service, over {@link DEFAULT_UDP_LIMITS}; a socket's own
   * `bind({ limits })` overrides these in turn.
   */
  readonly limits?: Partial<UdpLimits>;
}
