import { TcpError } from './tcp.error';

/**
 * Raised when framed messages are asked of a server or connection opened without a framer
 * (`onMessage`, `messages`): without one there are no messages, only raw bytes (`onData`,
 * `data`), so the registration is refused instead of never delivering anything.
 *
 * @example
 * ```ts
 * const server = await tcp.listen({ port: 0 }); // no framer
 * try {
 *   server.onMessage(() => undefined);
 * } catch (error) {
 *   if (error instanceof NoFramerError) console.log(error.code); // AEM_TCP_NO_FRAMER
 * }
 * ```
 */
export class NoFramerError extends TcpError {
  /** @inheritDoc */
  readonly code = 'AEM_TCP_NO_FRAMER';

  /** @param target - what was asked, e.g. `connection 2` or `server 127.0.0.1:5060`. */
  constructor(readonly target: string) {
    super(
      `${target} was opened without a framer: it has no messages, only raw bytes (use onData/data, or pass a framer)`,
    );
  }
}
