// The README's complete small app, run by test/example-app.spec.ts.
import {
  CONFIG,
  Handler,
  Inject,
  LOGGER,
  OnClose,
  OnConnection,
  OnMessage,
  OnTimer,
  StateMachine,
  TIMERS,
  createApp,
  defineHandlerModule,
  type AppOptions,
  type Session,
} from '@aem/app-kit';
import { delimited, type TcpCloseInfo, type TcpMessage } from '@aem/tcp';
import type { Timers } from '@aem/timers';
import type { Logger } from 'pino';

interface ChatConfig {
  /** How long a client has to log in. */
  readonly loginTimeoutMs: number;
}

type ChatState = 'anonymous' | 'member';
type Chat = StateMachine<ChatState, { name: string; lines: number }, string>;
interface ChatSession {
  chat?: Chat;
}

@Handler()
export class ChatHandler {
  private members = 0;

  constructor(
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(CONFIG) private readonly config: ChatConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Each connection gets a state machine: log in within the timeout, then chat. */
  @OnConnection()
  async open(session: Session<ChatSession>): Promise<void> {
    const connection = session.connection!;
    session.state.chat = new StateMachine<ChatState, { name: string; lines: number }, string>({
      timers: this.timers,
      domain: session.domain, // timeouts run one at a time with the session's messages
      initial: 'anonymous',
      data: { name: '', lines: 0 },
      states: {
        anonymous: (ev, m) => {
          if (ev.type === 'enter') {
            connection.send('login?\n');
            m.stateTimeout(this.config.loginTimeoutMs); // cancelled by the move to 'member'
          } else if (ev.type === 'state-timeout') {
            connection.send('too slow\n');
            session.close();
          } else if (ev.type === 'event' && ev.event.startsWith('login ')) {
            m.data = { name: ev.event.slice(6), lines: 0 };
            m.next('member');
          }
        },
        member: async (ev, m) => {
          if (ev.type === 'enter') {
            this.members++;
            connection.send(`welcome ${m.data.name}\n`);
          } else if (ev.type === 'event') {
            await this.timers.sleep(1); // any async work: the next line waits for it
            m.data.lines++;
            connection.send(`${m.data.name}#${m.data.lines}: ${ev.event.toUpperCase()}\n`);
          }
        },
      },
    });
    await session.state.chat.start();
  }

  @OnMessage()
  async line({ data }: TcpMessage, session: Session<ChatSession>): Promise<void> {
    await session.state.chat!.send(data.toString());
  }

  @OnClose()
  close(session: Session<ChatSession>, info: TcpCloseInfo): void {
    const chat = session.state.chat!;
    if (chat.state === 'member') this.members--;
    chat.stop(info.reason);
    this.logger.info({ session: session.id, lines: chat.data.lines }, 'bye');
  }

  @OnTimer(60_000)
  report(): void {
    this.logger.info({ members: this.members }, 'members online');
  }
}

/** The handler module: the unit a hot upgrade replaces. */
export const chatHandlers = defineHandlerModule<ChatSession>({
  version: '1.0.0',
  handlers: [ChatHandler],
  initialState: () => ({}),
});

/** The application, on `port` (0: any free port). */
export function createChatApp(port: number, overrides: Partial<AppOptions> = {}) {
  return createApp({
    name: 'chat',
    handlers: chatHandlers,
    config: { loginTimeoutMs: 10_000 } satisfies ChatConfig,
    tcp: { host: '127.0.0.1', port, framer: delimited({ delimiter: '\n' }) },
    http: { port: 0 },
    ...overrides,
  });
}
