import type { KernelRecordBatch } from '@aem/core';
import { UdpRecordDecoder, UdpSendEncoder, type KernelUdpSink } from './kernel-udp';

/** The binding's record slots (`RECORD_FIELD` of @aem/kmod/binding). */
const layout = {
  fields: 8,
  eventId: 0,
  type: 1,
  priority: 2,
  userData: 3,
  word0: 4,
  word1: 5,
  dataOffset: 6,
  dataLength: 7,
};
const REC_UDP = 3;
const REC_TCP = 2;

/** Builds a batch as the binding fills it: slots, and each record's bytes in the data area. */
function batchOf(
  records: { event: number; type?: number; kind: number; value: number; bytes?: Uint8Array }[],
): KernelRecordBatch {
  const slots = new Float64Array(records.length * layout.fields);
  const data = new Uint8Array(4096);
  let used = 0;
  records.forEach((r, i) => {
    const o = i * layout.fields;
    slots[o + layout.eventId] = r.event;
    slots[o + layout.type] = r.type ?? REC_UDP;
    slots[o + layout.word0] = r.kind;
    slots[o + layout.word1] = r.value;
    if (r.bytes) {
      data.set(r.bytes, used);
      slots[o + layout.dataOffset] = used;
      slots[o + layout.dataLength] = r.bytes.length;
      used += r.bytes.length;
    }
  });
  return { records: slots, count: records.length, layout, data };
}

/** `struct aem_udp_addr` then the payload: a DATAGRAM record's bytes. */
function datagramBytes(family: number, addr: number[], port: number, payload: string): Uint8Array {
  const bytes = new Uint8Array(24 + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, family, true);
  view.setUint16(2, port, true);
  bytes.set(addr, 8);
  bytes.set(Buffer.from(payload), 24);
  return bytes;
}

function recordingSink(): KernelUdpSink & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    datagram: (data, address, port, family, receivedAt) =>
      calls.push(['datagram', data.toString(), address, port, family, receivedAt]),
    drops: (total) => calls.push(['drops', total]),
    writable: () => calls.push(['writable']),
    error: (errno, code) => calls.push(['error', errno, code]),
  };
}

describe('UdpRecordDecoder', () => {
  it('takes the run of one event’s records in one call, in order, each to its sink', () => {
    const a = recordingSink();
    const b = recordingSink();
    const decoder = new UdpRecordDecoder(
      new Map([
        [7, a],
        [8, b],
      ]),
      (errno) => (errno === 111 ? 'ECONNREFUSED' : 'E?'),
    );
    const v6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const batch = batchOf([
      { event: 7, kind: 1, value: 1.7e18, bytes: datagramBytes(2, [127, 0, 0, 1], 5060, 'one') },
      { event: 7, kind: 1, value: 1.7e18 + 1e6, bytes: datagramBytes(10, v6, 40000, 'two') },
      { event: 7, kind: 2, value: 12 },
      { event: 7, kind: 3, value: 0 },
      { event: 7, kind: 4, value: 111 },
      { event: 8, kind: 1, value: 1.7e18, bytes: datagramBytes(2, [10, 0, 0, 9], 9, '') },
      { event: 8, type: REC_TCP, kind: 2, value: 0 },
    ]);
    expect(decoder.decode(batch, 0)).toBe(5);
    expect(a.calls).toEqual([
      ['datagram', 'one', '127.0.0.1', 5060, 4, 1.7e12],
      ['datagram', 'two', '::1', 40000, 6, 1.7e12 + 1],
      ['drops', 12],
      ['writable'],
      ['error', 111, 'ECONNREFUSED'],
    ]);
    // The next run stops before another service's record of the same event.
    expect(decoder.decode(batch, 5)).toBe(6);
    expect(b.calls).toEqual([['datagram', '', '10.0.0.9', 9, 4, 1.7e12]]);
  });

  it('gives each datagram its own copy of the bytes, and skips events it does not know', () => {
    const sink = recordingSink();
    const kept: Buffer[] = [];
    sink.datagram = (data) => void kept.push(data);
    const decoder = new UdpRecordDecoder(new Map([[1, sink]]), String);
    const batch = batchOf([
      { event: 9, kind: 1, value: 0, bytes: datagramBytes(2, [1, 2, 3, 4], 1, 'gone') },
      { event: 1, kind: 1, value: 0, bytes: datagramBytes(2, [1, 2, 3, 4], 1, 'kept') },
    ]);
    expect(decoder.decode(batch, 0)).toBe(1);
    expect(decoder.decode(batch, 1)).toBe(2);
    batch.data.fill(0);
    expect(kept.map(String)).toEqual(['kept']);
  });
});

describe('UdpSendEncoder', () => {
  it('packs the head and each datagram as struct aem_udp_msg plus its bytes, padded to 8', () => {
    const encoder = new UdpSendEncoder();
    const count = encoder.encode(
      [
        { data: Buffer.from('abc'), address: '127.0.0.1', port: 5060 },
        { data: Buffer.from('defghijkl'), address: 'fe80::1%2', port: 9 },
        { data: Buffer.from('x'), address: 'not-an-ip', port: 9 },
      ],
      0,
    );
    expect(count).toBe(2);
    const bytes = Buffer.from(encoder.view());
    expect(bytes.length).toBe(32 + (32 + 8) + (32 + 16));
    expect(bytes.readUInt32LE(0)).toBe(2);
    expect(bytes.subarray(4, 32).every((b) => b === 0)).toBe(true);
    // First message: AF_INET, port 5060, scope 0, 127.0.0.1, len 3, flags 0, "abc" + 5 zeros.
    expect(bytes.readUInt16LE(32)).toBe(2);
    expect(bytes.readUInt16LE(34)).toBe(5060);
    expect([...bytes.subarray(40, 44)]).toEqual([127, 0, 0, 1]);
    expect(bytes.readUInt32LE(56)).toBe(3);
    expect(bytes.subarray(64, 72).toString('latin1')).toBe('abc\0\0\0\0\0');
    // Second: AF_INET6, scope 2, fe80::1, len 9.
    const m2 = 72;
    expect(bytes.readUInt16LE(m2)).toBe(10);
    expect(bytes.readUInt32LE(m2 + 4)).toBe(2);
    expect(bytes[m2 + 8]).toBe(0xfe);
    expect(bytes[m2 + 23]).toBe(1);
    expect(bytes.readUInt32LE(m2 + 24)).toBe(9);
    // The bad destination is left for the next call, where it is the first: nothing packed.
    expect(encoder.encode([{ data: Buffer.from('x'), address: 'not-an-ip', port: 9 }], 0)).toBe(0);
  });

  it('reads the out fields the kernel writes into the head', () => {
    const encoder = new UdpSendEncoder();
    encoder.encode([{ data: Buffer.alloc(1), address: '::1', port: 1 }], 0);
    const head = Buffer.from(encoder.view().buffer, encoder.view().byteOffset, 32);
    head.writeUInt32LE(1, 12); // sent
    head.writeUInt32LE(2, 16); // errors
    head.writeInt32LE(90, 20); // first_error: EMSGSIZE
    head.writeUInt32LE(1, 24); // status: BLOCKED
    head.writeUInt32LE(1, 28); // first_failed
    expect(encoder.result(3)).toEqual({
      done: 3,
      sent: 1,
      errors: 2,
      firstErrno: 90,
      firstFailed: 1,
      blocked: true,
    });
  });

  it('takes at most 1,024 datagrams per call, and grows past its first buffer', () => {
    const encoder = new UdpSendEncoder();
    const batch = Array.from({ length: 1500 }, () => ({
      data: Buffer.alloc(100),
      address: '10.0.0.1',
      port: 7,
    }));
    expect(encoder.encode(batch, 0)).toBe(1024);
    expect(encoder.encode(batch, 1024)).toBe(476);
    expect(encoder.view().length).toBe(32 + 476 * (32 + 104));
  });
});
