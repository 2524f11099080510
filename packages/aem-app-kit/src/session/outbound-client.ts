import type { ConnectOptions, Tcp, TcpConnection } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import type { Logger } from 'pino';
import type { ClientHealth } from '../application/app-health';

/**
 * How an outbound client waits between connection attempts: `initialMs`, then `factor` times
 * longer each failed attempt, at most `maxMs`; back to `initialMs` once a connection is up.
 *
 * @example
 * ```ts
 * const backoff: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, factor: 2 }; // RFC 6733's Tc is 30 s
 * ```
 */
export interface BackoffOptions {
  /** The first wait in ms; default 100. */
  readonly initialMs?: number;
  /** The longest wait in ms; default 30,000. */
  readonly maxMs?: number;
  /** Growth per failed attempt; default 2. */
  readonly factor?: number;
}

/**
 * An outbound connection of an application (`clients` option): the kit connects, makes the
 * connection a session served by the same handlers as accepted ones (`@OnConnection`,
 * `@OnMessage`, `@OnClose`, the restart budget), and reconnects with back-off whenever it closes
 * or an attempt fails, until the application stops.
 *
 * @example
 * ```ts
 * createApp({
 *   handlers,
 *   clients: [{ name: 'hss', host: '10.0.0.7', port: 3868, framer: lengthPrefixed({ width: 4 }),
 *     backoff: { initialMs: 1_000, maxMs: 30_000 } }],
 * });
 * ```
 */
export interface AppClientOptions extends ConnectOptions {
  /** A name unique among the clients: `session.client`, logs. */
  readonly name: string;
  /** Waits between attempts; see {@link BackoffOptions}. */
  readonly backoff?: BackoffOptions;
}

/** @internal Keeps one outbound connection up: connect, hand it over, wait for its close, back off. */
export class OutboundClient {
  private stopped = false;
  private readonly abort = new AbortController();
  private current: TcpConnection | undefined;
  private attemptsMade = 0;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: AppClientOptions,
    private readonly tcp: Tcp,
    private readonly timers: Timers,
    private readonly onConnected: (connection: TcpConnection) => void,
    private readonly logger: Logger,
  ) {}

  /** What health reports of this client. */
  get health(): ClientHealth {
    return {
      name: this.options.name,
      connected: this.current !== undefined,
      attempts: this.attemptsMade,
    };
  }

  /** Starts the connect loop (it runs until {@link OutboundClient.stop}). */
  start(): void {
    this.loop = this.run();
  }

  /** Stops reconnecting and closes the connection; resolves when the loop ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { name, backoff = {} } = this.options;
    const initial = backoff.initialMs ?? 100;
    const max = backoff.maxMs ?? 30_000;
    const factor = backoff.factor ?? 2;
    let wait = initial;
    while (!this.stopped) {
      this.attemptsMade++;
      try {
        const connection = await this.tcp.connect(this.options);
        if (this.stopped) {
          connection.close();
          return;
        }
        this.current = connection;
        wait = initial;
        this.logger.info({ client: name }, 'client connected');
        this.onConnected(connection);
        const info = await connection.closed;
        this.current = undefined;
        if (this.stopped) return;
        this.logger.warn(
          { client: name, reason: info.reason, retryInMs: wait },
          'client connection closed',
        );
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ client: name, err: error, retryInMs: wait }, 'client connect failed');
      }
      try {
        // Not keep-alive: the application's own lifecycle decides when the process ends.
        await this.timers.sleep(wait, { signal: this.abort.signal, keepAlive: false });
      } catch {
        return; // aborted by stop()
      }
      wait = Math.min(wait * factor, max);
    }
  }
}
