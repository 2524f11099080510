import type { Datagram } from '@aem/udp';
import type { BoundHandler, HandlerVersion } from '../upgrade/handler-version';
import { isPromiseLike } from './is-promise-like';

/** @internal What the {@link DatagramHost} needs from the running application. */
export interface DatagramHostContext {
  /** The version serving new work. */
  current(): HandlerVersion;
  /** Logs and counts a handler failure. */
  failed(version: HandlerVersion, where: string, error: unknown): void;
  /** Called once a draining version has nothing left running. */
  versionEmptied(version: HandlerVersion): Promise<void>;
}

/**
 * @internal Runs the `@OnDatagram` handlers. A datagram has no session: it is handled by the
 * version current when it is dispatched, so a hot upgrade reaches every UDP domain at its next
 * datagram. A handler that throws or rejects is logged and counted, and the rest of that
 * datagram's handlers are skipped; the socket itself is never closed for it — it serves every
 * peer, and one peer's bad datagram must not cut off the others.
 *
 * While an async handler runs, its version counts it in `datagramsInFlight`, so a version
 * that a hot upgrade left behind retires (its `onStop()`) only once its last one settled.
 */
export class DatagramHost {
  constructor(private readonly context: DatagramHostContext) {}

  /** The hot path: synchronous while the handlers are. */
  datagram(datagram: Datagram): void | Promise<void> {
    const version = this.context.current();
    const handlers = version.handlers.datagram;
    for (let i = 0; i < handlers.length; i++) {
      let result: unknown;
      try {
        result = handlers[i].call(datagram);
      } catch (error) {
        this.context.failed(version, handlers[i].name, error);
        return;
      }
      if (isPromiseLike(result)) return this.rest(result, i, version, handlers, datagram);
    }
  }

  private async rest(
    pending: PromiseLike<unknown>,
    index: number,
    version: HandlerVersion,
    handlers: readonly BoundHandler[],
    datagram: Datagram,
  ): Promise<void> {
    version.datagramsInFlight++;
    try {
      for (let i = index; i < handlers.length; i++) {
        try {
          await (i === index ? pending : handlers[i].call(datagram));
        } catch (error) {
          this.context.failed(version, handlers[i].name, error);
          return;
        }
      }
    } finally {
      version.datagramsInFlight--;
      if (version.status === 'draining' && version.idle) await this.context.versionEmptied(version);
    }
  }
}
