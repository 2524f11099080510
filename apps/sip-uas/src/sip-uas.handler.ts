import { CONFIG, Handler, Inject, OnConnection, OnMessage, type Session } from '@aem/app-kit';
import type { TcpMessage } from '@aem/tcp';
import type { AppConfig } from './config';

/** Greets each connection and echoes its lines with a per-connection count. */
@Handler()
export class SipUasHandler {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  @OnConnection()
  greet(session: Session<{ lines: number }>): void {
    session.connection?.send(`${this.config.greeting}\n`);
  }

  @OnMessage()
  async echo({ data, connection }: TcpMessage, session: Session<{ lines: number }>): Promise<void> {
    session.state.lines++;
    connection.send(`${session.state.lines}: ${data.toString()}\n`);
  }
}
