// Every core: SIP_WORKERS=2 runs a cluster primary and two workers on one port (reusePort over
// TCP and UDP). Calls on a connection each (sipp -t tn) are served by both workers (their pids
// in the primary's status line); a worker killed under load costs only the calls it had in
// progress (over UDP, sipp -t un), is restarted, and the calls after it succeed; SIGTERM stops everything with 0.
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
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
      /over udp and tcp \(2 workers, handlers 1\.0\.0, primary pid \d+\)/,
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
