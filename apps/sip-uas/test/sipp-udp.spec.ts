// SIP over UDP end to end: sipp (its default transport) drives the built server, on the same
// port as TCP. Without sipp the suite is skipped and says why — except in CI, where it must run.
import { TestDatagramClient } from '@aem/app-kit/testing';
import { request } from './raw-connection';
import { allSucceeded, placeCalls, SIPP_MISSING } from './sipp';
import { startUas, type UasProcess } from './uas-process';

const suite = SIPP_MISSING === undefined || process.env.CI === 'true' ? describe : describe.skip;
if (SIPP_MISSING !== undefined) {
  console.warn(`sip-uas sipp UDP tests: ${SIPP_MISSING}`);
}

jest.setTimeout(120_000);

/** `request()` as `client` sends it over UDP: its Via names the client's own port. */
function udpRequest(
  client: TestDatagramClient,
  method: string,
  callId: string,
  cseq: string,
  version?: string,
): string {
  return request(method, callId, cseq, version).replace(
    'Via: SIP/2.0/TCP 127.0.0.1:5999',
    `Via: SIP/2.0/UDP 127.0.0.1:${client.address.port}`,
  );
}

suite('sip-uas over UDP driven by sipp', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    if (SIPP_MISSING !== undefined) throw new Error(SIPP_MISSING);
    uas = await startUas({ SIP_STATUS_MS: '200', SIP_MAX_MESSAGE_BYTES: '4096' });
  });

  afterAll(async () => {
    expect(await uas?.stop('SIGTERM')).toBe(0);
    expect(uas.output()).toContain('application stopped');
  });

  it('completes the built-in uac scenario on one UDP socket (-t u1)', async () => {
    expect(await placeCalls(uas.port, 'uac', 'u1', 400, 200)).toMatchObject(allSucceeded(400));
  });

  it('completes the built-in uac scenario with a socket per call (-t un)', async () => {
    const result = await placeCalls(uas.port, 'uac', 'un', 100, 50, ['-max_socket', '1000']);
    expect(result).toMatchObject(allSucceeded(100));
  });

  it('registers, lists and removes bindings (REGISTER scenario)', async () => {
    expect(await placeCalls(uas.port, 'register', 'u1', 20, 20)).toMatchObject(allSucceeded(20));
  });

  it('answers an OPTIONS ping with the allowed methods', async () => {
    expect(await placeCalls(uas.port, 'options', 'u1', 10, 10)).toMatchObject(allSucceeded(10));
  });

  it('absorbs a retransmitted INVITE and BYE: each copy gets the same answer again', async () => {
    const result = await placeCalls(uas.port, 'duplicates', 'u1', 20, 20, ['-nr']);
    expect(result).toMatchObject(allSucceeded(20));
  });

  it('completes every call with 10 % of the datagrams lost both ways (-lost 10)', async () => {
    // sipp drops a tenth of what it sends and of what it receives: the server's INVITE
    // transaction and 2xx retransmissions recover the one, sipp's timers A and E the other.
    const result = await placeCalls(uas.port, 'uac', 'u1', 200, 50, ['-lost', '10']);
    expect(result).toMatchObject(allSucceeded(200));
    await uas.waitFor(/retransmissions [1-9]\d* sent \/ [1-9]\d* absorbed/);
  });

  it('drops or answers bad datagrams, counts them, and serves the next call', async () => {
    const bystander = await TestDatagramClient.open(uas.port);
    const offender = await TestDatagramClient.open(uas.port);
    // Answerable: 400/505/501 to the Via's sent-by (this client).
    const cases: Array<[string, RegExp]> = [
      [udpRequest(offender, 'INVITE', 'bad-cseq', 'CSeq: one INVITE'), /^SIP\/2\.0 400 Bad CSeq/],
      [
        udpRequest(offender, 'OPTIONS', 'v3', 'CSeq: 1 OPTIONS', 'SIP/3.0'),
        /^SIP\/2\.0 505 Version Not Supported/,
      ],
      [
        udpRequest(offender, 'OPTIONS', 'short', 'CSeq: 1 OPTIONS').replace(
          'Content-Length: 0',
          'Content-Length: 50',
        ),
        /^SIP\/2\.0 400 Truncated Body/,
      ],
      [udpRequest(offender, 'FOO', 'foo', 'CSeq: 1 FOO'), /^SIP\/2\.0 501 Not Implemented/],
    ];
    for (const [text, expected] of cases) {
      offender.send(text);
      expect(await offender.receiveText()).toMatch(expected);
    }
    // Nothing addresses a response: dropped, counted, never answered.
    offender.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    offender.send('HELLO WORLD\r\n\r\n');
    offender.send(
      udpRequest(offender, 'OPTIONS', 'no-call-id', 'CSeq: 1 OPTIONS').replace(
        /^Call-ID: .*\r\n/m,
        '',
      ),
    );
    offender.send(
      udpRequest(offender, 'OPTIONS', 'huge', 'CSeq: 1 OPTIONS').replace(
        'Max-Forwards: 70',
        `X-Padding: ${'x'.repeat(5000)}\r\nMax-Forwards: 70`,
      ),
    );
    await uas.waitFor(/refused \d+ malformed \/ 0 closed \/ 4 dropped/);
    expect(offender.pending).toBe(0);

    bystander.send(udpRequest(bystander, 'OPTIONS', 'still-here', 'CSeq: 1 OPTIONS'));
    expect(await bystander.receiveText()).toMatch(/^SIP\/2\.0 200 OK/);
    await Promise.all([bystander.close(), offender.close()]);

    expect(await placeCalls(uas.port, 'uac', 'u1', 20, 20)).toMatchObject(allSucceeded(20));
  });
});
