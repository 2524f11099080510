import { delimited, type TcpMessage } from '@aem/tcp';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type AemApp } from '../application/aem-app';
import { LineClient } from '../application/line-client.spec-helper';
import { Handler } from '../decorators/handler.decorator';
import { OnMessage } from '../decorators/on-message.decorator';
import { InvalidHandlerError } from '../errors/invalid-handler.error';

const silent = { level: 'silent' } as const;
const tcp = { host: '127.0.0.1', port: 0, framer: delimited({ delimiter: '\n' }) };
const TASKS = resolve(__dirname, '../../test/capsule/tasks.mjs');

@Handler()
class Pooled {
  @OnMessage({ execution: 'pool', task: { module: TASKS, exportName: 'line' } })
  onLine(word: string, { connection }: TcpMessage) {
    connection.send(`pool ${word}\n`);
  }
}

@Handler()
class Inline {
  @OnMessage()
  onLine({ data, connection }: TcpMessage) {
    connection.send(`inline ${data.toString().split(' ')[1]}\n`);
  }
}

describe("@OnMessage({ execution: 'pool' })", () => {
  const apps: AemApp[] = [];
  const clients: LineClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    for (const app of apps.splice(0)) await app.stop();
  });
  const start = async (app: AemApp): Promise<AemApp> => {
    apps.push(app);
    await app.start();
    return app;
  };
  const open = async (app: AemApp): Promise<LineClient> => {
    const client = await LineClient.open(app.tcpServer?.address.port as number);
    clients.push(client);
    return client;
  };

  it('keeps a connection’s pooled and inline handlers in message order', async () => {
    const app = await start(
      createApp({
        handlers: { version: '1.0.0', handlers: [Pooled, Inline] },
        tcp,
        logger: silent,
        capsule: { size: 2 },
      }),
    );
    const client = await open(app);
    // The slow ones first: in the pool alone they would finish last.
    for (const line of ['200 a', '100 b', '0 c', '50 d']) client.send(line);
    await client.waitFor(8);
    expect(client.lines).toEqual([
      'pool a',
      'inline a',
      'pool b',
      'inline b',
      'pool c',
      'inline c',
      'pool d',
      'inline d',
    ]);
  });

  it('supervises a pooled failure as a handler failure; the session lives on', async () => {
    const app = await start(
      createApp({ handlers: { version: '1.0.0', handlers: [Pooled] }, tcp, logger: silent }),
    );
    const client = await open(app);
    client.send('0 fail');
    client.send('0 after');
    await client.waitFor(1);
    expect(client.lines).toEqual(['pool after']);
    expect(app.health().handlerErrors).toBe(1);
  });

  it('hot upgrade: the new version’s sessions run the new task file, old sessions the old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capsule-app-'));
    try {
      const file = join(dir, 'tag.mjs');
      writeFileSync(file, "export const tag = () => 'v1';\n");
      @Handler()
      class Tagged {
        @OnMessage({ execution: 'pool', task: { module: file, exportName: 'tag' } })
        onLine(tag: string, { connection }: TcpMessage) {
          connection.send(`${tag}\n`);
        }
      }
      const app = await start(
        // One worker: a worker that first meets v1 after the file changed would read v2 (see README).
        createApp({
          handlers: { version: '1.0.0', handlers: [Tagged] },
          tcp,
          logger: silent,
          capsule: { size: 1 },
        }),
      );
      const old = await open(app);
      old.send('x');
      await old.waitFor(1);
      writeFileSync(file, "export const tag = () => 'v2';\n");
      await app.upgrade({ version: '2.0.0', handlers: [Tagged] });
      const fresh = await open(app);
      fresh.send('x');
      old.send('x');
      await fresh.waitFor(1);
      await old.waitFor(2);
      expect(fresh.lines).toEqual(['v2']);
      expect(old.lines).toEqual(['v1', 'v1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with a job still in a worker: the job fails, stop resolves', async () => {
    const app = await start(
      createApp({
        handlers: { version: '1.0.0', handlers: [Pooled] },
        tcp,
        logger: silent,
        shutdownDeadlineMs: 100,
      }),
    );
    const client = await open(app);
    client.send('60000 never');
    await new Promise((r) => setTimeout(r, 200));
    await app.stop();
    expect(client.lines).toEqual([]);
  });

  it('reports the pool in health() and /metrics, its counters following the jobs', async () => {
    const app = await start(
      createApp({
        name: 'pooled',
        handlers: { version: '1.0.0', handlers: [Pooled] },
        tcp,
        logger: silent,
        capsule: { size: 2 },
      }),
    );
    const client = await open(app);
    client.send('0 one');
    client.send('0 fail');
    client.send('0 two');
    await client.waitFor(2);
    expect(app.health().capsule).toMatchObject({
      name: 'pooled',
      size: 2,
      busy: 0,
      queued: 0,
      completed: 2,
      failed: 1,
      timedOut: 0,
      crashedWorkers: 0,
    });
    const scrape = async (): Promise<string> => app.metrics.registry.metrics();
    let text = await scrape();
    expect(text).toContain('aem_capsule_workers{pool="pooled"} 2');
    expect(text).toContain('aem_capsule_busy_workers{pool="pooled"} 0');
    expect(text).toContain('aem_capsule_queued_jobs{pool="pooled"} 0');
    expect(text).toContain('aem_capsule_jobs_total{pool="pooled",outcome="completed"} 2');
    expect(text).toContain('aem_capsule_jobs_total{pool="pooled",outcome="failed"} 1');
    expect(text).toContain('aem_capsule_worker_crashes_total{pool="pooled"} 0');
    client.send('0 three');
    await client.waitFor(3);
    text = await scrape();
    expect(text).toContain('aem_capsule_jobs_total{pool="pooled",outcome="completed"} 3');
    expect(text).toContain('aem_capsule_jobs_total{pool="pooled",outcome="failed"} 1');
  });

  it('refuses a pool mode without a task', () => {
    expect(() => OnMessage({ execution: 'pool' } as never)).toThrow(InvalidHandlerError);
    expect(() => OnMessage({ execution: 'fork' } as never)).toThrow(InvalidHandlerError);
  });
});
