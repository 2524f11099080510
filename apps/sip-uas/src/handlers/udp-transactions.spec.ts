// The transaction layer over an unreliable transport (RFC 3261 §17.2 and §13.3.1.4), driven
// datagram by datagram on a virtual clock: the real runtime, timers service, call domains and
// handler code, with a socket that records what it is given instead of sending it.
import { createAem, type Aem } from '@aem/core';
import { Timers } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';
import pino from 'pino';
import { configFromEnv, type SipUasConfig } from '../config';
import { createSipState, type SipState } from '../state/sip-state';
import type { DatagramSocket } from '../transport/sip-channel';
import { openSipSecurity } from '../security/open-sip-security';
import { createSipContext } from './create-sip-context';
import type { SipContext } from './sip-context';
import { receiveDatagram } from './udp-ingress';

interface Sent {
  readonly at: number;
  readonly text: string;
  readonly address: string;
  readonly port: number;
}

const CALLER = { address: '127.0.0.1', port: 5999 };
const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** A request as a UDP client sends it: branch `z9hG4bK-<branch>`, Call-ID `<callId>`. */
function request(
  method: string,
  callId: string,
  options: {
    branch?: string;
    cseq?: number;
    toTag?: string;
    via?: string;
    extra?: string;
    body?: string;
  } = {},
): string {
  const body = options.body ?? '';
  const via =
    options.via ?? `SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-${options.branch ?? callId}`;
  const to = `<sip:uas@127.0.0.1>${options.toTag === undefined ? '' : `;tag=${options.toTag}`}`;
  const cseqMethod = method === 'ACK' || method === 'CANCEL' ? method : method;
  return (
    `${method} sip:uas@127.0.0.1:5060 SIP/2.0\r\nVia: ${via}\r\n` +
    `From: <sip:caller@127.0.0.1>;tag=from-${callId}\r\nTo: ${to}\r\nCall-ID: ${callId}\r\n` +
    `CSeq: ${options.cseq ?? 1} ${cseqMethod}\r\nContact: <sip:caller@127.0.0.1:5999>\r\n` +
    `Max-Forwards: 70\r\n${options.extra ?? ''}` +
    (body === '' ? '' : 'Content-Type: application/sdp\r\n') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function invite(callId: string): string {
  return request('INVITE', callId, { branch: `${callId}-inv`, body: SDP });
}

describe('SIP over UDP: server transactions on a virtual clock (T1 500 ms, T2 4 s, T4 5 s)', () => {
  let clock: VirtualClock;
  let runtime: Aem;
  let state: SipState;
  let ctx: SipContext;
  let sent: Sent[];
  let socket: DatagramSocket;

  const setup = (overrides: Partial<SipUasConfig> = {}): void => {
    clock = new VirtualClock();
    runtime = createAem();
    const timers = Timers.load(runtime, { clock });
    const config = { ...configFromEnv({}), ...overrides };
    state = createSipState(
      runtime,
      (error) => {
        throw error;
      },
      openSipSecurity(config.security, timers),
    );
    ctx = createSipContext({
      state,
      timers,
      config,
      logger: pino({ level: 'silent' }),
      port: 5060,
    });
    sent = [];
    socket = {
      address: { address: '127.0.0.1', port: 5060 },
      send: (data, peer) => {
        sent.push({
          at: clock.now(),
          text: data.toString(),
          address: peer.address,
          port: peer.port,
        });
        return true;
      },
    };
  };
  afterEach(() => runtime.close());

  /** Lets the posted call jobs run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const deliver = async (text: string | Buffer, from = CALLER): Promise<void> => {
    receiveDatagram(ctx, Buffer.isBuffer(text) ? text : Buffer.from(text), socket, from);
    await settle();
  };
  /** Advances the clock 100 ms at a time (each expiry posts a job into its call's domain). */
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 100) {
      clock.advance(Math.min(100, left));
      await settle();
    }
  };
  const statusLines = (): string[] => sent.map((s) => s.text.split('\r\n')[0]);
  const take = (): Sent[] => sent.splice(0);
  const toTagOf = (text: string): string => /^To: .*;tag=([^;\r]+)/m.exec(text)![1];

  describe('INVITE server transaction', () => {
    beforeEach(() => setup());

    // RFC 3261 §17.2.1: no 100 Trying when the TU answers within 200 ms — the 180 leaves at once.
    it('sends 180 and 200 at once, no 100 Trying; a retransmitted INVITE gets the 200 again', async () => {
      await deliver(invite('a'));
      expect(statusLines()).toEqual(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
      expect(sent.every((s) => s.address === '127.0.0.1' && s.port === 5999)).toBe(true);
      const ok = sent[1].text;
      expect(ok).toContain('Contact: <sip:uas@127.0.0.1:5060;transport=udp>');
      take();
      await deliver(invite('a'));
      expect(take().map((s) => s.text)).toEqual([ok]);
      expect(state.counters).toMatchObject({
        invites: 1,
        answered: 1,
        answeredUdp: 1,
        retransmissionsAbsorbed: 1,
      });
    });

    it('refuses an offer it cannot take with its final response alone, no 100 Trying', async () => {
      await deliver(
        invite('text').replace('Content-Type: application/sdp', 'Content-Type: text/plain'),
      );
      expect(statusLines()).toEqual(['SIP/2.0 415 Unsupported Media Type']);
    });

    it('retransmits the 2xx at T1 doubling to T2 until 64·T1, then sends BYE to the Contact (§13.3.1.4)', async () => {
      await deliver(invite('b'));
      const ok = take()[1];
      await advance(33_000);
      const copies = sent.filter((s) => s.text === ok.text);
      expect(copies.map((s) => s.at)).toEqual([
        500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
      ]);
      const bye = sent.find((s) => s.text.startsWith('BYE '))!;
      expect(bye).toMatchObject({ at: 32_000, address: '127.0.0.1', port: 5999 });
      expect(bye.text).toContain(`From: <sip:uas@127.0.0.1>;tag=${toTagOf(ok.text)}\r\n`);
      expect(bye.text).toMatch(
        /^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bK\S+;rport\r$/m,
      );
      expect(state.calls.size).toBe(0);
      expect(state.counters).toMatchObject({ ackTimeouts: 1, retransmissionsSent: 10 });
    });

    it('stops retransmitting the 2xx at the ACK; late copies of the INVITE and the ACK are absorbed', async () => {
      await deliver(invite('c'));
      const tag = toTagOf(take()[1].text);
      await advance(600); // one retransmission at 500
      expect(take()).toHaveLength(1);
      await deliver(request('ACK', 'c', { branch: 'c-ack', toTag: tag }));
      await deliver(invite('c')); // a copy delayed in the network
      await deliver(request('ACK', 'c', { branch: 'c-ack', toTag: tag }));
      await advance(40_000);
      expect(sent).toEqual([]);
      expect(state.calls.get('c')?.state).toBe('confirmed');
      await deliver(request('BYE', 'c', { branch: 'c-bye', cseq: 2, toTag: tag }));
      expect(statusLines()).toEqual(['SIP/2.0 200 OK']);
      expect(state.calls.size).toBe(0);
    });
  });

  describe('a non-2xx final response (CANCEL while ringing)', () => {
    beforeEach(() => setup({ ringDelayMs: 60_000 }));

    const cancelRinging = async (callId: string): Promise<string> => {
      await deliver(invite(callId));
      await deliver(request('CANCEL', callId, { branch: `${callId}-inv` }));
      const lines = statusLines();
      expect(lines).toEqual([
        'SIP/2.0 180 Ringing',
        'SIP/2.0 200 OK',
        'SIP/2.0 487 Request Terminated',
      ]);
      expect(sent[1].text).toContain('CSeq: 1 CANCEL');
      return take()[2].text;
    };

    it('answers a ringing INVITE with 180 alone; its retransmissions get the 180 again', async () => {
      await deliver(invite('ring'));
      const [ringing] = take();
      expect(ringing.text).toMatch(/^SIP\/2\.0 180 Ringing\r\n/);
      await advance(1000);
      await deliver(invite('ring'));
      expect(take().map((s) => s.text)).toEqual([ringing.text]);
      expect(state.counters.retransmissionsAbsorbed).toBe(1);
    });

    it('retransmits the 487 on timer G until the ACK; then absorbs ACK copies until timer I', async () => {
      const final = await cancelRinging('d');
      await advance(4000);
      expect(take().map((s) => [s.at, s.text === final])).toEqual([
        [500, true],
        [1500, true],
        [3500, true],
      ]);
      await deliver(invite('d')); // a retransmitted INVITE gets the final response again
      expect(take().map((s) => s.text)).toEqual([final]);
      const ack = request('ACK', 'd', { branch: 'd-inv', toTag: toTagOf(final) });
      await deliver(ack); // the ACK of a non-2xx belongs to the INVITE transaction
      expect(state.calls.get('d')?.state).toBe('acknowledged');
      await deliver(ack); // absorbed
      await advance(4900);
      expect(sent).toEqual([]);
      expect(state.calls.get('d')?.state).toBe('acknowledged');
      await advance(200); // timer I = T4
      expect(state.calls.size).toBe(0);
    });

    it('gives the transaction up at timer H (64·T1) without an ACK', async () => {
      const final = await cancelRinging('e');
      await advance(40_000);
      expect(sent.map((s) => s.at)).toEqual([
        500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
      ]);
      expect(sent.every((s) => s.text === final)).toBe(true);
      expect(state.calls.size).toBe(0);
      expect(state.counters).toMatchObject({ timerH: 1, cancelled: 1 });
    });

    it('answers a retransmitted CANCEL from its transaction, not from the call', async () => {
      await cancelRinging('f');
      await deliver(request('CANCEL', 'f', { branch: 'f-inv' }));
      expect(statusLines()).toEqual(['SIP/2.0 200 OK']);
      expect(sent[0].text).toContain('CSeq: 1 CANCEL');
      expect(state.counters.cancelled).toBe(1);
    });
  });

  describe('non-INVITE server transactions (timer J)', () => {
    beforeEach(() => setup());

    it('answers a retransmitted BYE with the same bytes until timer J, then as a new request', async () => {
      await deliver(invite('g'));
      const tag = toTagOf(take()[1].text);
      await deliver(request('ACK', 'g', { branch: 'g-ack', toTag: tag }));
      const bye = request('BYE', 'g', { branch: 'g-bye', cseq: 2, toTag: tag });
      await deliver(bye);
      const [ok] = take();
      expect(ok.text).toMatch(/^SIP\/2\.0 200 OK[^]*CSeq: 2 BYE/);
      await advance(31_000);
      await deliver(bye);
      expect(take().map((s) => s.text)).toEqual([ok.text]);
      expect(state.counters).toMatchObject({ completed: 1, retransmissionsAbsorbed: 1 });
      await advance(1100); // timer J = 64·T1 after the response
      expect(state.transactions.size).toBe(0);
      await deliver(bye);
      expect(statusLines()).toEqual(['SIP/2.0 481 Call/Transaction Does Not Exist']);
    });

    it('processes a REGISTER once; its copies get the same 200', async () => {
      const register = request('REGISTER', 'r', { extra: 'Expires: 600\r\n' });
      await deliver(register);
      await deliver(register);
      const [first, second] = take();
      expect(first.text).toMatch(
        /^SIP\/2\.0 200 OK[^]*Contact: <sip:caller@127\.0\.0\.1:5999>;expires=600/,
      );
      expect(second.text).toBe(first.text);
      expect(state.counters).toMatchObject({ registers: 1, retransmissionsAbsorbed: 1 });
      expect(state.bindings).toBe(1);
    });

    it('answers OPTIONS; past maxTransactions a new request gets 503 and no state', async () => {
      setup({ maxTransactions: 1 });
      await deliver(request('OPTIONS', 'o1'));
      await deliver(request('OPTIONS', 'o2'));
      expect(statusLines()).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 503 Service Unavailable']);
      expect(state.transactions.size).toBe(1);
      expect(state.counters.overloaded).toBe(1);
    });
  });

  describe('where responses go (§18.2.2, RFC 3581)', () => {
    beforeEach(() => setup());

    it('rport: back to the source address and port, with received and rport in the Via', async () => {
      const via = 'SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-nat;rport';
      await deliver(request('OPTIONS', 'n', { via }), { address: '192.0.2.1', port: 40_000 });
      expect(sent[0]).toMatchObject({ address: '192.0.2.1', port: 40_000 });
      expect(sent[0].text).toContain(
        'Via: SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-nat;rport=40000;received=192.0.2.1\r\n',
      );
    });

    it('no rport: to the source address (received) at the sent-by port, or 5060', async () => {
      await deliver(
        request('OPTIONS', 'p1', { via: 'SIP/2.0/UDP host.example:5070;branch=z9hG4bK-p1' }),
        {
          address: '192.0.2.2',
          port: 40_001,
        },
      );
      await deliver(request('OPTIONS', 'p2', { via: 'SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK-p2' }), {
        address: '192.0.2.3',
        port: 40_002,
      });
      expect(sent.map(({ address, port }) => ({ address, port }))).toEqual([
        { address: '192.0.2.2', port: 5070 },
        { address: '192.0.2.3', port: 5060 },
      ]);
      expect(sent[0].text).toContain(
        'Via: SIP/2.0/UDP host.example:5070;branch=z9hG4bK-p1;received=192.0.2.2\r\n',
      );
      expect(sent[1].text).toContain('Via: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK-p2\r\n');
    });
  });

  describe('bad datagrams', () => {
    beforeEach(() => setup({ maxMessageBytes: 2000 }));

    it('drops what addresses no response, answers what does with 400, and goes on serving', async () => {
      await deliver(Buffer.from([0xff, 0x00, 0x13, 0x37]));
      await deliver('HELLO\r\n\r\n');
      await deliver(request('OPTIONS', 'x').replace(/^Call-ID: .*\r\n/m, ''));
      await deliver(request('OPTIONS', 'big', { extra: `X-Pad: ${'a'.repeat(2000)}\r\n` }));
      await deliver('\r\n\r\n');
      expect(sent).toEqual([]);
      expect(state.counters).toMatchObject({ datagramsDropped: 4, keepAlives: 1, requests: 0 });

      await deliver(request('OPTIONS', 'cseq').replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'));
      await deliver(invite('short').replace(/Content-Length: \d+/, 'Content-Length: 900'));
      await deliver(request('OPTIONS', 'noend').replace(/\r\n\r\n$/, '\r\n'));
      expect(statusLines()).toEqual([
        'SIP/2.0 400 Bad CSeq',
        'SIP/2.0 400 Truncated Body',
        'SIP/2.0 400 Missing End Of Headers',
      ]);
      expect(state.counters.malformed).toBe(3);
      take();

      // Bytes past Content-Length are discarded (§18.3): the call goes through.
      await deliver(`${invite('padded')}garbage after the body`);
      expect(statusLines()).toEqual(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    });
  });
});
