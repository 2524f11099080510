// The registrar over its store, in process: the real handlers, runtime, timers and JournalStore
// (in a temporary folder), datagrams delivered to the UDP ingress. A store that holds its
// acknowledgement back (a gate in front of the journal) shows that a REGISTER waits for it
// without holding up the socket — an OPTIONS behind it is answered first, a retransmission of it
// is absorbed — that REGISTERs of one address of record run one after another, and that a store
// that refuses makes it 503 with Retry-After, counted.
import { openSipSecurity } from '../security/open-sip-security';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAem, type Aem } from '@aem/core';
import { Timers } from '@aem/timers';
import { VirtualClock } from '@aem/timers/testing';
import pino from 'pino';
import { configFromEnv } from '../config';
import { createSipState, type SipState } from '../state/sip-state';
import { JournalStore } from '../store/journal-store';
import {
  StoreUnavailableError,
  type RegistrarStore,
  type StoredBinding,
} from '../store/registrar-store';
import type { DatagramSocket } from '../transport/sip-channel';
import { createSipContext } from './create-sip-context';
import type { SipContext } from './sip-context';
import { receiveDatagram } from './udp-ingress';

const CALLER = { address: '127.0.0.1', port: 5999 };
const dir = mkdtempSync(join(tmpdir(), 'sip-registrar-store-'));
let files = 0;

/** The journal, with every save held until `open()` (or refused while `down`). */
class GatedJournal implements RegistrarStore {
  readonly kind = 'gated-journal';
  readonly journal = new JournalStore(join(dir, `journal-${++files}`));
  down = false;
  private held: (() => void)[] = [];
  private gated = false;
  get available(): boolean {
    return !this.down;
  }
  hold(): void {
    this.gated = true;
  }
  open(): void {
    this.gated = false;
    for (const release of this.held.splice(0)) release();
  }
  restore(): Promise<StoredBinding[]> {
    return this.journal.restore();
  }
  async save(binding: StoredBinding): Promise<void> {
    if (this.down) throw new StoreUnavailableError('gated-journal', 'down for the test', 7);
    if (this.gated) await new Promise<void>((resolve) => this.held.push(resolve));
    await this.journal.save(binding);
  }
  remove(aor: string, contact: string): Promise<void> {
    return this.journal.remove(aor, contact);
  }
  lookup(): Promise<null> {
    return this.journal.lookup();
  }
  onRemoteChange(): void {
    // one node
  }
  close(): Promise<void> {
    return this.journal.close();
  }
}

function register(callId: string, cseq: number, contact?: string): string {
  return (
    `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-${callId}-${cseq}\r\n` +
    `From: <sip:alice@example.test>;tag=f-${callId}\r\nTo: <sip:alice@example.test>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nMax-Forwards: 70\r\n` +
    (contact === undefined ? '' : `Contact: <${contact}>;expires=600\r\n`) +
    `Content-Length: 0\r\n\r\n`
  );
}

const options = (callId: string): string =>
  `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-${callId}\r\n` +
  `From: <sip:bob@example.test>;tag=f-${callId}\r\nTo: <sip:uas@127.0.0.1>\r\n` +
  `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;

describe('the registrar over its store', () => {
  let runtime: Aem;
  let state: SipState;
  let ctx: SipContext;
  let store: GatedJournal;
  let sent: string[];
  let socket: DatagramSocket;

  beforeEach(() => {
    runtime = createAem();
    const timers = Timers.load(runtime, { clock: new VirtualClock() });
    store = new GatedJournal();
    state = createSipState(
      runtime,
      (error) => {
        throw error;
      },
      openSipSecurity(configFromEnv({}).security, timers),
      store,
    );
    ctx = createSipContext({
      state,
      timers,
      config: configFromEnv({}),
      logger: pino({ level: 'silent' }),
      port: 5060,
    });
    sent = [];
    socket = {
      address: { address: '127.0.0.1', port: 5060 },
      send: (data) => {
        sent.push(data.toString());
        return true;
      },
    };
  });
  afterEach(async () => {
    await store.close();
    runtime.close();
  });

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const deliver = async (text: string): Promise<void> => {
    receiveDatagram(ctx, Buffer.from(text), socket, CALLER);
    await settle();
  };
  const firstLines = (): string[] => sent.map((text) => text.split('\r\n')[0]!);
  /** Until `count` responses were sent: the journal's write completes on the thread pool. */
  const responses = async (count: number): Promise<void> => {
    for (let i = 0; i < 400 && sent.length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(sent).toHaveLength(count);
  };

  it('answers 200 only once the journal has the binding', async () => {
    await deliver(register('a', 1, 'sip:alice@10.0.0.1'));
    await responses(1);
    expect(firstLines()).toEqual(['SIP/2.0 200 OK']);
    expect(readFileSync(store.journal.path, 'utf8')).toContain('"contact":"sip:alice@10.0.0.1"');
    expect(state.bindings).toBe(1);
  });

  it('waits for the store without holding up the socket; a copy of the REGISTER is absorbed', async () => {
    store.hold();
    await deliver(register('b', 1, 'sip:alice@10.0.0.1'));
    await deliver(register('b', 1, 'sip:alice@10.0.0.1')); // its retransmission
    await deliver(options('o1'));
    expect(firstLines()).toEqual(['SIP/2.0 200 OK']); // the OPTIONS'
    expect(sent[0]).toContain('CSeq: 1 OPTIONS');
    expect(state.counters.retransmissionsAbsorbed).toBe(1);
    expect(state.bindings).toBe(0);
    store.open();
    await responses(2);
    expect(sent[1]).toMatch(
      /^SIP\/2\.0 200 OK[^]*CSeq: 1 REGISTER[^]*Contact: <sip:alice@10\.0\.0\.1>/,
    );
    expect(state.bindings).toBe(1);
  });

  it('runs the REGISTERs of one address of record one after another', async () => {
    store.hold();
    await deliver(register('c', 1, 'sip:alice@10.0.0.1'));
    await deliver(register('d', 1, 'sip:alice@10.0.0.2'));
    await deliver(register('e', 1)); // a query
    expect(sent).toHaveLength(0);
    store.open();
    await responses(3);
    expect(sent.map((text) => (text.match(/^Contact:/gm) ?? []).length)).toEqual([1, 2, 2]);
  });

  it('answers 503 with the store Retry-After when the store refuses, and counts it', async () => {
    store.down = true;
    await deliver(register('f', 1, 'sip:alice@10.0.0.1'));
    expect(sent[0]).toMatch(/^SIP\/2\.0 503 Service Unavailable[^]*Retry-After: 7\r\n/);
    expect(state.counters.storeUnavailable).toBe(1);
    expect(state.bindings).toBe(0);
    store.down = false;
    await deliver(register('f', 2, 'sip:alice@10.0.0.1'));
    await responses(2);
    expect(sent[1]).toMatch(/^SIP\/2\.0 200 OK/);
  });
});
