// End to end with a SIP tool nobody here wrote: sipp drives the built server over TCP (and, for
// the ring delay and the hot upgrade, over UDP too; test/sipp-udp.spec.ts has the rest of UDP).
// Without sipp the suite is skipped and says why — except in CI, where it must run.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawConnection, request } from './raw-connection';
import { allSucceeded, placeCalls, SIPP_MISSING } from './sipp';
import { startUas, type UasProcess } from './uas-process';

const suite = SIPP_MISSING === undefined || process.env.CI === 'true' ? describe : describe.skip;
if (SIPP_MISSING !== undefined) {
  console.warn(`sip-uas sipp tests: ${SIPP_MISSING}`);
}

jest.setTimeout(90_000);

suite('sip-uas driven by sipp', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    if (SIPP_MISSING !== undefined) throw new Error(SIPP_MISSING);
    uas = await startUas();
  });

  afterAll(async () => {
    // SIGTERM drains and exits 0.
    expect(await uas?.stop('SIGTERM')).toBe(0);
    expect(uas.output()).toContain('application stopped');
  });

  it('completes the built-in uac scenario over one TCP connection (-t t1)', async () => {
    expect(await placeCalls(uas.port, 'uac', 't1', 400, 200)).toMatchObject(allSucceeded(400));
  });

  it('completes the built-in uac scenario with a connection per call (-t tn)', async () => {
    const result = await placeCalls(uas.port, 'uac', 'tn', 100, 50, ['-max_socket', '1000']);
    expect(result).toMatchObject(allSucceeded(100));
  });

  it('registers, lists and removes bindings (REGISTER scenario)', async () => {
    expect(await placeCalls(uas.port, 'register', 't1', 20, 20)).toMatchObject(allSucceeded(20));
  });

  it('answers an OPTIONS ping with the allowed methods', async () => {
    expect(await placeCalls(uas.port, 'options', 't1', 10, 10)).toMatchObject(allSucceeded(10));
  });

  it('answers malformed requests or closes their connection, and serves the next call', async () => {
    const bystander = await rawConnection(uas.port);
    const offender = await rawConnection(uas.port);

    const cases: Array<[string, RegExp]> = [
      [request('FOO', 'foo-1', 'CSeq: 1 FOO'), /^SIP\/2\.0 501 Not Implemented/],
      [
        request('SUBSCRIBE', 'sub-1', 'CSeq: 1 SUBSCRIBE'),
        /^SIP\/2\.0 405 Method Not Allowed[^]*Allow: INVITE/,
      ],
      [request('INVITE', 'bad-cseq', 'CSeq: one INVITE'), /^SIP\/2\.0 400 Bad CSeq/],
      [request('INVITE', 'mismatch', 'CSeq: 1 BYE'), /^SIP\/2\.0 400 CSeq Method Mismatch/],
      [
        request('OPTIONS', 'v3', 'CSeq: 1 OPTIONS', 'SIP/3.0'),
        /^SIP\/2\.0 505 Version Not Supported/,
      ],
      [request('BYE', 'nobody', 'CSeq: 2 BYE'), /^SIP\/2\.0 481 Call\/Transaction Does Not Exist/],
      [
        request('OPTIONS', 'ext', 'CSeq: 1 OPTIONS\r\nRequire: 100rel'),
        /^SIP\/2\.0 420 Bad Extension[^]*Unsupported: 100rel/,
      ],
    ];
    for (const [text, expected] of cases) {
      offender.write(text);
      expect(await offender.next()).toMatch(expected);
    }
    // A message no response can be addressed to: the connection is closed.
    offender.write('HELLO WORLD\r\nContent-Length: 0\r\n\r\n');
    await offender.ended;
    // Too large a body for the framer: closed too, on its own connection only.
    const oversized = await rawConnection(uas.port);
    oversized.write(
      request('OPTIONS', 'big', 'CSeq: 1 OPTIONS').replace(
        'Content-Length: 0',
        'Content-Length: 999999',
      ),
    );
    await oversized.ended;

    bystander.write(request('OPTIONS', 'still-here', 'CSeq: 1 OPTIONS'));
    expect(await bystander.next()).toMatch(/^SIP\/2\.0 200 OK/);
    bystander.socket.destroy();

    expect(await placeCalls(uas.port, 'uac', 't1', 20, 20)).toMatchObject(allSucceeded(20));
  });
});

suite('sip-uas with a ring delay', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    if (SIPP_MISSING !== undefined) throw new Error(SIPP_MISSING);
    uas = await startUas({ SIP_RING_DELAY_MS: '1000' });
  });

  afterAll(async () => expect(await uas?.stop('SIGTERM')).toBe(0));

  it.each(['t1', 'u1'] as const)(
    'cancels ringing INVITEs: 200 for the CANCEL, 487 for the INVITE (-t %s)',
    async (transport) => {
      expect(await placeCalls(uas.port, 'cancel', transport, 10, 10)).toMatchObject(
        allSucceeded(10),
      );
    },
  );

  it('answers after the ring delay', async () => {
    const started = Date.now();
    expect(await placeCalls(uas.port, 'uac', 't1', 5, 5)).toMatchObject(allSucceeded(5));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });
});

suite('sip-uas hot upgrade', () => {
  // A copy of the build that can be "redeployed" in place, inside the workspace so that its
  // packages still resolve.
  const release = join(__dirname, '..', '..', '..', 'tmp', `sip-uas-upgrade-${process.pid}`);
  let uas: UasProcess;

  beforeAll(async () => {
    if (SIPP_MISSING !== undefined) throw new Error(SIPP_MISSING);
    rmSync(release, { recursive: true, force: true });
    mkdirSync(release, { recursive: true });
    cpSync(join(__dirname, '..', 'dist'), join(release, 'dist'), { recursive: true });
    uas = await startUas({ SIP_STATUS_MS: '250' }, join(release, 'dist', 'main.js'));
  });

  afterAll(async () => {
    expect(await uas?.stop('SIGTERM')).toBe(0);
    rmSync(release, { recursive: true, force: true });
  });

  // Each test "deploys" a new version in place, then asks the running process to load it.
  it.each([
    ['t1', '1.0.1-tcp'],
    ['u1', '1.0.2-udp'],
  ] as const)(
    'SIGHUP loads the new handlers under load without failing a call (-t %s)',
    async (transport, version) => {
      const calls = placeCalls(uas.port, 'uac', transport, 600, 200);
      await uas.waitFor(
        new RegExp(
          `\\[sip-uas\\] [1-9]\\d* calls/s \\(${transport === 'u1' ? 'udp' : 'udp 0, tcp'} [1-9]`,
        ),
      );
      const handlers = join(release, 'dist', 'handlers.js');
      writeFileSync(
        handlers,
        readFileSync(handlers, 'utf8').replace(
          /HANDLERS_VERSION = '[^']*'/,
          `HANDLERS_VERSION = '${version}'`,
        ),
      );
      const upgrades = uas.output().split('hot upgrade done').length;
      uas.child.kill('SIGHUP');
      await uas.waitFor(new RegExp(`(hot upgrade done[^]*){${upgrades}}`));
      await uas.waitFor(new RegExp(`handlers ${version.replace(/\./g, '\\.')}`));
      expect(await calls).toMatchObject(allSucceeded(600));
    },
  );
});
