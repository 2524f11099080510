// A real cluster: a primary and two worker processes serving one TCP port with reusePort. The
// primary restarts a killed worker, upgrades the workers one at a time on SIGHUP, serves the
// aggregated /metrics and /health, and stops everything on SIGTERM with exit code 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineClient } from '../src/application/line-client.spec-helper';

const packageDir = join(__dirname, '..');
// Replies VERSION:pid:data, so the test sees which worker answered.
const template = readFileSync(join(__dirname, 'fixtures/handlers.template.cjs'), 'utf8').replace(
  'connection.send(`VERSION:${data}\\n`);',
  'connection.send(`VERSION:${process.pid}:${data}\\n`);',
);

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('runClusterPrimary (real worker processes)', () => {
  let dir: string;
  let handlers: string;
  let child: ChildProcess;
  const logs: LogLine[] = [];
  let exited: Promise<number | null>;

  /** Resolves once `count` lines with message `msg` were printed (bounded: 15 s). */
  function logged(msg: string, count = 1): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const hits = logs.filter((line) => line.msg === msg);
        if (hits.length >= count) {
          clearInterval(poll);
          resolve(hits[count - 1]!);
        } else if (Date.now() - started > 15_000) {
          clearInterval(poll);
          reject(new Error(`no ${count}× "${msg}" in:\n${logs.map((l) => l.msg).join('\n')}`));
        }
      }, 10);
    });
  }

  /** One round trip on a new connection: [version, pid]. */
  async function ask(port: number, text: string): Promise<[string, number]> {
    const client = await LineClient.open(port);
    client.send(text);
    await client.waitFor(1);
    client.close();
    const [version, pid] = client.lines[0]!.split(':');
    return [version!, Number(pid)];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aem-cluster-'));
    handlers = join(dir, 'handlers.cjs');
    writeFileSync(handlers, template.replaceAll('VERSION', 'v1'));
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves one port from two workers, restarts a dead one, upgrades all, stops with 0', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [join(__dirname, 'fixtures/cluster-app.cjs')], {
      cwd: packageDir,
      env: {
        ...process.env,
        WORKERS: '2',
        PORT: String(port),
        HANDLERS: handlers,
        APP_KIT: join(packageDir, 'dist/index.js'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffer += chunk;
      for (let at; (at = buffer.indexOf('\n')) >= 0; buffer = buffer.slice(at + 1))
        logs.push(JSON.parse(buffer.slice(0, at)) as LogLine);
    });
    exited = new Promise((resolve) => child.on('close', resolve));

    const { httpPort } = (await logged('primary ready')) as unknown as { httpPort: number };
    await logged('application started', 2);

    // New connections spread over the workers (the kernel's reuseport hash): within a bounded
    // number of tries both answer.
    const pids = new Set<number>();
    for (let i = 0; i < 64 && pids.size < 2; i++) pids.add((await ask(port, `m${i}`))[1]);
    expect(pids.size).toBe(2);

    const metrics = await httpGet(httpPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^aem_activations_total \d+/m);
    const health = await httpGet(httpPort, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    expect(JSON.parse(health.body).workers).toHaveLength(2);

    // A worker killed outright is replaced; the port keeps being served.
    const [victim] = pids;
    process.kill(victim!, 'SIGKILL');
    await logged('application started', 3);
    for (let i = 0; i < 8; i++) expect((await ask(port, `after-kill${i}`))[0]).toBe('v1');

    // SIGHUP on the primary: every worker reloads its handlers, one after the other.
    writeFileSync(handlers, template.replaceAll('VERSION', 'v2'));
    child.kill('SIGHUP');
    await logged('hot upgrade done', 2);
    for (let i = 0; i < 8; i++) expect((await ask(port, `upgraded${i}`))[0]).toBe('v2');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.filter((line) => line.msg === 'application stopped')).toHaveLength(2);
  }, 60_000);
});
