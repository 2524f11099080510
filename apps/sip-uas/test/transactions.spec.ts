// Transaction timers against the real process, with a short T1 so 64·T1 passes in about a
// second: the 2xx is retransmitted until its ACK (RFC 3261 §13.3.1.4) and the dialog gives up
// with a BYE; a 487 left unacknowledged is forgotten after timer H; over UDP the 487 is
// retransmitted on timer G until its ACK. (Every timer's schedule is checked exactly, on a
// virtual clock, by src/handlers/udp-transactions.spec.ts; here they go over the wire.)
import { setTimeout as sleep } from 'node:timers/promises';
import { TestDatagramClient } from '@aem/app-kit/testing';
import { rawConnection, request } from './raw-connection';
import { startUas, type UasProcess } from './uas-process';

jest.setTimeout(30_000);

describe('sip-uas transaction timers (T1 = 20 ms)', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    uas = await startUas({ SIP_T1_MS: '20', SIP_RING_DELAY_MS: '200' });
  });

  afterAll(async () => expect(await uas?.stop('SIGTERM')).toBe(0));

  it('retransmits the 2xx while no ACK comes, then ends the dialog with a BYE', async () => {
    const caller = await rawConnection(uas.port);
    caller.write(invite('no-ack'));
    // The 180 first: no 100 Trying when the answer leaves at once (RFC 3261 §17.2.1).
    expect(await caller.next()).toMatch(/^SIP\/2\.0 180 Ringing/);
    const ok = await caller.next();
    expect(ok).toMatch(/^SIP\/2\.0 200 OK/);
    // Retransmissions of the same 200 OK: T1, 2·T1, 4·T1 … later.
    const copies: string[] = [];
    let next = await caller.next();
    while (next.startsWith('SIP/2.0 200 OK')) {
      copies.push(next);
      next = await caller.next();
    }
    expect(copies.length).toBeGreaterThanOrEqual(3);
    expect(copies.every((copy) => copy === ok)).toBe(true);
    const toTag = /^To: .*;tag=(\S+)\r$/m.exec(ok)?.[1];
    expect(next).toMatch(/^BYE sip:/);
    expect(next).toContain(`Call-ID: no-ack\r\n`);
    expect(next).toContain(`;tag=${toTag}\r\n`);
    // The call is gone: a late ACK is ignored and a BYE finds no dialog.
    caller.write(
      request('BYE', 'no-ack', 'CSeq: 2 BYE').replace(
        'To: <sip:uas@127.0.0.1>',
        `To: <sip:uas@127.0.0.1>;tag=${toTag}`,
      ),
    );
    expect(await caller.next()).toMatch(/^SIP\/2\.0 481 /);
    caller.socket.destroy();
  });

  it('forgets a cancelled INVITE whose 487 is never acknowledged (timer H)', async () => {
    const caller = await rawConnection(uas.port);
    caller.write(invite('no-ack-487'));
    expect(await caller.next()).toMatch(/^SIP\/2\.0 180 Ringing/);
    caller.write(
      request('CANCEL', 'no-ack-487', 'CSeq: 1 CANCEL').replace(
        'z9hG4bK-no-ack-487',
        'z9hG4bK-no-ack-487-inv',
      ),
    );
    const answers = [await caller.next(), await caller.next()].map((text) => text.split('\r\n')[0]);
    expect(answers.sort()).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
    // After timer H (64·T1 = 1.28 s) the transaction is gone: a CANCEL now matches nothing.
    await sleep(1_600); // wall time: the server runs on its own real clock
    caller.write(
      request('CANCEL', 'no-ack-487', 'CSeq: 1 CANCEL').replace(
        'z9hG4bK-no-ack-487',
        'z9hG4bK-no-ack-487-inv',
      ),
    );
    expect(await caller.next()).toMatch(/^SIP\/2\.0 481 /);
    caller.socket.destroy();
  });
});

/** An INVITE with an SDP offer, branch `z9hG4bK-<callId>-inv`. */
function invite(callId: string): string {
  const sdp =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  return request(
    'INVITE',
    callId,
    'CSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:5999;transport=tcp>\r\nContent-Type: application/sdp',
  )
    .replace(`z9hG4bK-${callId}`, `z9hG4bK-${callId}-inv`)
    .replace('Content-Length: 0\r\n\r\n', `Content-Length: ${sdp.length}\r\n\r\n${sdp}`);
}

describe('sip-uas transaction timers over UDP (T1 = 20 ms, T4 = 200 ms)', () => {
  let uas: UasProcess;

  beforeAll(async () => {
    uas = await startUas({ SIP_T1_MS: '20', SIP_T4_MS: '200', SIP_RING_DELAY_MS: '200' });
  });

  afterAll(async () => expect(await uas?.stop('SIGTERM')).toBe(0));

  /** `invite()` as `caller` sends it over UDP: its Via and Contact name the caller's port. */
  const udpInvite = (caller: TestDatagramClient, callId: string): string =>
    invite(callId)
      .replace(
        'Via: SIP/2.0/TCP 127.0.0.1:5999',
        `Via: SIP/2.0/UDP 127.0.0.1:${caller.address.port}`,
      )
      .replace('127.0.0.1:5999;transport=tcp', `127.0.0.1:${caller.address.port}`);

  it('retransmits the 2xx over the wire while no ACK comes, then sends the BYE to the Contact', async () => {
    const caller = await TestDatagramClient.open(uas.port);
    caller.send(udpInvite(caller, 'udp-no-ack'));
    expect(await caller.receiveText()).toMatch(/^SIP\/2\.0 180 Ringing/);
    const ok = await caller.receiveText();
    expect(ok).toMatch(/^SIP\/2\.0 200 OK[^]*Contact: <sip:uas@127\.0\.0\.1:\d+;transport=udp>/);
    const copies: string[] = [];
    let next = await caller.receiveText();
    while (next.startsWith('SIP/2.0 200 OK')) {
      copies.push(next);
      next = await caller.receiveText();
    }
    expect(copies.length).toBeGreaterThanOrEqual(3);
    expect(copies.every((copy) => copy === ok)).toBe(true);
    expect(next).toMatch(/^BYE sip:caller@127\.0\.0\.1:\d+ SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP /);
    expect(next).toContain('Call-ID: udp-no-ack\r\n');
    await caller.close();
  });

  it('retransmits a 487 on timer G until its ACK, then stays silent', async () => {
    const caller = await TestDatagramClient.open(uas.port);
    caller.send(udpInvite(caller, 'udp-487'));
    expect(await caller.receiveText()).toMatch(/^SIP\/2\.0 180 Ringing/);
    caller.send(
      udpInvite(caller, 'udp-487')
        .replace('INVITE sip:', 'CANCEL sip:')
        .replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL')
        .replace(/Content-Type: application\/sdp\r\n/, '')
        .replace(/Content-Length: \d+\r\n\r\n[^]*$/, 'Content-Length: 0\r\n\r\n'),
    );
    const answers = [await caller.receiveText(), await caller.receiveText()];
    const final = answers.find((text) => text.startsWith('SIP/2.0 487'))!;
    expect(answers.map((text) => text.split('\r\n')[0]).sort()).toEqual([
      'SIP/2.0 200 OK',
      'SIP/2.0 487 Request Terminated',
    ]);
    // Timer G: the same 487 again (T1, 2·T1, … later).
    expect(await caller.receiveText()).toBe(final);
    expect(await caller.receiveText()).toBe(final);
    const toTag = /^To: .*;tag=(\S+)\r$/m.exec(final)![1];
    caller.send(
      udpInvite(caller, 'udp-487')
        .replace('INVITE sip:', 'ACK sip:')
        .replace('CSeq: 1 INVITE', 'CSeq: 1 ACK')
        .replace('To: <sip:uas@127.0.0.1>', `To: <sip:uas@127.0.0.1>;tag=${toTag}`)
        .replace(/Content-Type: application\/sdp\r\n/, '')
        .replace(/Content-Length: \d+\r\n\r\n[^]*$/, 'Content-Length: 0\r\n\r\n'),
    );
    // A retransmission may have crossed the ACK; after that, nothing (64·T1 = 1.28 s).
    await sleep(300);
    const before = caller.pending;
    await sleep(1_300);
    expect(caller.pending).toBe(before);
    await caller.close();
  });
});
