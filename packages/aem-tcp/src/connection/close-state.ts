import type { TcpCloseInfo, TcpCloseReason } from '../tcp-close-info';

/**
 * Why and when a connection closed: the one place that decides what `TcpConnection.closed`
 * resolves with.
 *
 * Two moments, each recorded once:
 * - the *reason*, when the first close path starts (or the peer ends): from then on the
 *   connection is `closing` and hands no more received bytes to handlers. Later paths do not
 *   change it (see {@link CloseState.record} for the one exception);
 * - the *info*, when the socket is gone ({@link CloseState.finish}): the reason (`peer` if no
 *   path gave one — the socket closed under us), the error, and the byte counts. The
 *   connection is `closed`, and the `closed` promise resolves.
 *
 * @internal
 */
export class CloseState {
  private why: TcpCloseReason | undefined = undefined;
  private error: Error | undefined = undefined;
  private final: TcpCloseInfo | undefined = undefined;
  /** Made on the first `promise` read before the close: an open connection carries no promise. */
  private signal: PromiseWithResolvers<TcpCloseInfo> | undefined = undefined;

  /** `open` until a reason is recorded, `closing` until the socket is gone, then `closed`. */
  get phase(): 'open' | 'closing' | 'closed' {
    return this.final !== undefined ? 'closed' : this.why !== undefined ? 'closing' : 'open';
  }

  /** True once a reason is recorded (or the socket closed): nothing more is read for handlers. */
  get readingOver(): boolean {
    return this.why !== undefined;
  }

  /** True once the socket is gone. */
  get finished(): boolean {
    return this.final !== undefined;
  }

  /**
   * Records why the connection closes. The first reason wins, with one exception: a failure
   * (`framing-error`, `socket-error`) replaces `peer` — bytes that fail after the peer's FIN
   * are what the application must hear about. Nothing changes once the socket is gone.
   */
  record(reason: TcpCloseReason, error?: Error): void {
    if (this.final !== undefined) return;
    const current = this.why;
    if (
      current === undefined ||
      (current === 'peer' && (reason === 'framing-error' || reason === 'socket-error'))
    ) {
      this.why = reason;
      this.error = error;
    }
  }

  /**
   * The socket is gone: fixes the close info and resolves `promise`.
   *
   * @returns the info, or `undefined` when it was fixed already (a second `close` event).
   */
  finish(bytesRead: number, bytesWritten: number): TcpCloseInfo | undefined {
    if (this.final !== undefined) return undefined;
    this.why ??= 'peer';
    const info: TcpCloseInfo = {
      reason: this.why,
      ...(this.error ? { error: this.error } : {}),
      bytesRead,
      bytesWritten,
    };
    this.final = info;
    this.signal?.resolve(info);
    return info;
  }

  /** Resolves with the close info once the socket is gone. Never rejects. */
  get promise(): Promise<TcpCloseInfo> {
    if (this.final !== undefined) return Promise.resolve(this.final);
    return (this.signal ??= Promise.withResolvers<TcpCloseInfo>()).promise;
  }
}
