/**
 * Per-connection limits. Each has a default; every one of them is enforced by pausing the
 * socket (TCP's own flow control then slows the peer) or by a typed error — memory never grows
 * without bound and nothing is dropped.
 */
export interface ConnectionLimits {
  /**
   * Framed messages queued to handlers and not yet delivered. Over it, reading pauses until
   * half of them were delivered. Default 1,024.
   */
  readonly maxQueuedMessages: number;
  /**
   * Bytes queued to handlers (messages and raw chunks) and not yet delivered. Over it, reading
   * pauses until half of them were delivered. Default 1 MiB.
   */
  readonly maxBufferedBytes: number;
  /**
   * Bytes written and not yet flushed to the kernel above which `send` returns `false` (wait
   * for `drained()`). Default 256 KiB.
   */
  readonly writeHighWaterMark: number;
}

/** Defaults of {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  maxQueuedMessages: 1_024,
  maxBufferedBytes: 1_048_576,
  writeHighWaterMark: 262_144,
});

/** Options of the TCP service itself, given to {@link createTcpService}. */
export interface TcpServiceOptions {
  /**
   * Bytes queued to handlers across all connections of the service. Over it, the connection
   * that receives data pauses until the total falls under half the limit. Default 256 MiB.
   */
  readonly maxTotalBufferedBytes?: number;
}

/** Default of {@link TcpServiceOptions.maxTotalBufferedBytes}. */
export const DEFAULT_MAX_TOTAL_BUFFERED_BYTES = 268_435_456;
