import type { TcpConnection } from './tcp-connection';

/**
 * One framed message: what a message handler receives — the bytes, the connection to answer
 * on, and where it came from.
 */
export interface TcpMessage {
  /** The frame (a view of the received bytes; copy it to keep it long). */
  readonly data: Buffer;
  /** The connection it arrived on; `send` the answer there. */
  readonly connection: TcpConnection;
  /** The peer's address. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
}
