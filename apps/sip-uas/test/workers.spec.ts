// Every core: SIP_WORKERS=2 runs a cluster primary and two workers on one port (reusePort over
// TCP and UDP). Calls on a connection each (sipp -t tn) are served by both workers (their pids
// in the primary's status line); a worker killed under load costs only the calls it had in
// progress (over UDP, sipp -t un), is restarted, and the calls after it succeed; SIGTERM stops everything with 0.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentialsLine } from '../src/auth/credentials-file';
import { digestHa1 } from '../src/auth/digest-algorithm';
import { contactsOf, registerRequest, udpSipClient } from './sip-udp-client';
import { allSucceeded, placeCalls, SIPP_MISSING } from './sipp';
import { startUas, type UasProcess } from './uas-process';

const suite = SIPP_MISSING === undefined || process.env.CI === 'true' ? describe : describe.skip;

jest.setTimeout(120_000);

/** The workers' cumulative answered calls by pid, from the latest aggregated status line. */
function answeredByPid(output: string): Map<number, number> {
  const lines = output.split('\n').filter((line) => line.startsWith('[sip-uas] 2 workers'));
  const byPid = new Map<number, number>();
  for (const m of (lines.at(-1) ?? '').matchAll(/pid (\d+): \d+ calls\/s, (\d+) answered/g)) {
    byPid.set(Number(m[1]), Number(m[2]));
  }
  return byPid;
}

suite('SIP_WORKERS=2', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    if (SIPP_MISSING !== undefined) throw new Error(SIPP_MISSING);
    uas = await startUas({ SIP_WORKERS: '2', SIP_STATUS_MS: '300', HTTP_PORT: '0' });
  });
  afterAll(async () => {
    await uas?.stop('SIGKILL');
  });

  it('prints the listening line once, from the primary, with the worker count', () => {
    expect(uas.output().match(/listening on sip:/g)).toHaveLength(1);
    expect(uas.output()).toMatch(
      /over udp \(mmsg\) and tcp \(2 workers, handlers 1\.0\.0, primary pid \d+\)/,
    );
  });

  it('serves the aggregated /health and /metrics from the primary', async () => {
    const port = Number(/metrics: http:\/\/[\d.]+:(\d+)\/metrics/.exec(uas.output())![1]);
    const fetch = (path: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        get({ host: '127.0.0.1', port, path }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    const health = await fetch('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).workers).toHaveLength(2);
    const metrics = await fetch('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^aem_activations_total \d+/m);
  });

  it('serves calls from both workers', async () => {
    const run = await placeCalls(uas.port, 'uac', 'tn', 200, 100, ['-max_socket', '1000']);
    expect(run).toMatchObject(allSucceeded(200));
    // The status line comes every 300 ms; wait (bounded) for one after the run.
    let byPid = new Map<number, number>();
    for (let i = 0; i < 50; i++) {
      byPid = answeredByPid(uas.output());
      if ([...byPid.values()].reduce((a, b) => a + b, 0) >= 200) break;
      await sleep(100);
    }
    expect(byPid.size).toBe(2);
    for (const answered of byPid.values()) expect(answered).toBeGreaterThan(0);
  });

  it('shares registrations between the workers (the primary keeps the journal)', async () => {
    const toTag = (response: string): string => /^To: .*;tag=([^;\r]+)/m.exec(response)![1]!;
    const first = await udpSipClient();
    const registered = await first.request(
      uas.port,
      registerRequest(first.port, 'carol', { contact: 'sip:carol@10.0.0.3', expires: 600 }),
    );
    expect(registered).toMatch(/^SIP\/2\.0 200 OK/);
    first.close();
    // The registrar's To tag names the worker's pid: query from other source ports until the
    // other worker answers (the reuseport hash of 16 ports misses it with odds 2^-16).
    let fromOther: string | undefined;
    for (let i = 0; i < 16 && fromOther === undefined; i++) {
      const client = await udpSipClient();
      const response = await client.request(uas.port, registerRequest(client.port, 'carol'));
      client.close();
      if (toTag(response) !== toTag(registered)) fromOther = response;
    }
    expect(fromOther).toBeDefined();
    expect(contactsOf(fromOther!).map(([uri]) => uri)).toEqual(['sip:carol@10.0.0.3']);
  });

  it('loses only the calls in progress on a worker killed under load; new calls succeed', async () => {
    const victim = [...answeredByPid(uas.output()).keys()][0]!;
    const rate = 100;
    // Over UDP, a socket per call (-t un): sipp aborts a whole TCP run at the first connection
    // reset, so TCP cannot show the other calls going on. The dead worker's socket leaves the
    // reuseport group; its calls' next datagrams reach the other worker, which does not know them.
    const running = placeCalls(uas.port, 'uac', 'un', rate * 6, rate, ['-max_socket', '2000']);
    await sleep(2_000);
    process.kill(victim, 'SIGKILL');
    const run = await running;
    // A call lasts a few ms here; what the dead worker had open is at most a second's worth.
    expect(run.failed).toBeLessThanOrEqual(rate);
    expect(run.successful + run.failed).toBe(rate * 6);
    await uas.waitFor(/worker \d+ \(pid \d+\) exited \(SIGKILL\); restarting/);
    await uas.waitFor(/worker \(pid \d+\) serving again/);
    const after = await placeCalls(uas.port, 'uac', 'tn', 200, 100, ['-max_socket', '1000']);
    expect(after).toMatchObject(allSucceeded(200));
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    expect(await uas.stop('SIGTERM')).toBe(0);
  });
});

// Regressions of #20: the primary's listening line left out the security lines a single process
// prints, and SIP_TLS_PORT=0 with workers was refused (each worker would have picked a port of
// its own); now the primary picks the TLS port once and every worker serves it.
suite('SIP_WORKERS=2 with TLS on SIP_TLS_PORT=0 and digest authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-workers-tls-'));
  let uas: UasProcess;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(__dirname, '../../../tools/make-test-certs.mjs'), dir]);
    const users = join(dir, 'users.htdigest');
    writeFileSync(
      users,
      `${credentialsLine(
        'alice',
        'example.test',
        digestHa1('MD5', 'alice', 'example.test', 'pw'),
        digestHa1('SHA-256', 'alice', 'example.test', 'pw'),
      )}\n`,
    );
    uas = await startUas({
      SIP_WORKERS: '2',
      SIP_AUTH_FILE: users,
      SIP_REALM: 'example.test',
      SIP_TLS_KEY: join(dir, 'server.key'),
      SIP_TLS_CERT: join(dir, 'server.crt'),
      SIP_TLS_PORT: '0',
    });
  });
  afterAll(async () => {
    if (uas !== undefined) expect(await uas.stop('SIGTERM')).toBe(0);
  });

  it('prints the security lines a single process prints, once', () => {
    const output = uas.output();
    expect(output.match(/listening on sip:/g)).toHaveLength(1);
    expect(output).toMatch(/^ {2}tls: sips:127\.0\.0\.1:[1-9]\d*$/m);
    expect(output).toContain(
      'authentication: digest (SHA-256, MD5) for REGISTER, realm example.test',
    );
    expect(output).toMatch(/flood protection: more than 16 requests in 2000 ms bans a source/);
    expect(output).not.toMatch(/SIP_TLS_PORT=0/);
  });

  it('serves TLS on the one port the primary picked, from both workers', async () => {
    const tlsPort = Number(/tls: sips:[\d.]+:(\d+)/.exec(uas.output())![1]);
    const answeredBy = new Set<string>();
    // Each connection lands on one worker (reusePort); the To tag names the worker's pid.
    for (let i = 0; i < 16 && answeredBy.size < 2; i++) {
      const answer = await tlsOptions(tlsPort, join(dir, 'ca.crt'), i);
      expect(answer).toMatch(/^SIP\/2\.0 200 OK/);
      answeredBy.add(/^To: .*;tag=([^;\r]+)/m.exec(answer)![1]!);
    }
    expect(answeredBy.size).toBe(2);
  });
});

/** Sends one OPTIONS over a verified TLS connection to `port`; resolves with the answer. */
async function tlsOptions(port: number, caFile: string, n: number): Promise<string> {
  const socket = tlsConnect({
    port,
    host: '127.0.0.1',
    ca: [readFileSync(caFile)],
    servername: 'localhost',
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    let received = '';
    const answered = new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n')) resolve(received);
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`closed before an answer: ${received}`)));
    });
    const { localPort } = socket;
    socket.write(
      `OPTIONS sip:uas@127.0.0.1:${port};transport=tls SIP/2.0\r\n` +
        `Via: SIP/2.0/TLS 127.0.0.1:${localPort};branch=z9hG4bK-workers-tls-${n}\r\n` +
        `From: <sip:test@127.0.0.1>;tag=t${n}\r\nTo: <sip:uas@127.0.0.1>\r\n` +
        `Call-ID: workers-tls-${n}-${Date.now()}@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n` +
        `Content-Length: 0\r\n\r\n`,
    );
    return await answered;
  } finally {
    socket.destroy();
  }
}
