/**
 * Counters of one {@link UdpSocket}, a snapshot from `socket.stats`. Every datagram is counted
 * once on its way: with one registration,
 * `received = delivered + queuedDatagrams + droppedQueueFull + droppedDomainsFull +
 * droppedKeyErrors + droppedUndelivered`, and every `send` that returned `true` ends as `sent` or
 * as `sendErrors` (while in flight it is in `sendQueueDatagrams`). Datagrams the kernel dropped
 * before the socket saw them are in `kernelDrops`.
 */
export interface UdpSocketStats {
  /** Datagrams received from the transport. */
  readonly received: number;
  /** Their payload bytes. */
  readonly receivedBytes: number;
  /** Activations delivered to handlers (one per datagram per registration). */
  readonly delivered: number;
  /**
   * Datagrams dropped because `maxQueuedDatagrams`/`maxQueuedBytes` (or the runtime's own
   * dispatcher queue limits) were reached: the handlers are behind.
   */
  readonly droppedQueueFull: number;
  /** Datagrams dropped because every one of `maxDomains` per-key domains was busy. */
  readonly droppedDomainsFull: number;
  /** Datagrams dropped because `domainKey` threw or returned no string (see `lastError`). */
  readonly droppedKeyErrors: number;
  /**
   * Datagrams received but never delivered because no handler remained for them: their
   * registration was shut down first, or the socket was closing.
   */
  readonly droppedUndelivered: number;
  /** Datagrams handed to the kernel. */
  readonly sent: number;
  /** Their payload bytes. */
  readonly sentBytes: number;
  /** Datagrams whose send failed (the error: `lastError`). */
  readonly sendErrors: number;
  /** `send` calls refused because the send queue was full (`send` returned `false`). */
  readonly droppedSendQueueFull: number;
  /** `send` calls refused because the socket was closed (`send` returned `false`). */
  readonly droppedSendClosed: number;
  /**
   * Datagrams the kernel dropped for this socket (a full receive buffer): the `drops` column of
   * `/proc/net/udp` (or `udp6`) for the socket's local address and port — summed over the
   * sockets sharing them with `reusePort`; 0 where the file cannot be read.
   */
  readonly kernelDrops: number;
  /** Received datagrams waiting for handlers now (queued activations and held datagrams). */
  readonly queuedDatagrams: number;
  /** Their bytes. */
  readonly queuedBytes: number;
  /** Sent datagrams not yet handed to the kernel. */
  readonly sendQueueDatagrams: number;
  /** Their bytes. */
  readonly sendQueueBytes: number;
  /** Live per-key domains (`domainKey`); 0 or 1 without one. */
  readonly domains: number;
}
