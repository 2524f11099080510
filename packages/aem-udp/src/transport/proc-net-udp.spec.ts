import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dropsIn, ipv6Bytes, procLocalAddress, readKernelDrops } from './proc-net-udp';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

async function bound(type: 'udp4' | 'udp6', host: string): Promise<Socket> {
  const socket = createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return socket;
}

describe('proc-net-udp', () => {
  it('expands IPv6 literals', () => {
    expect(hex(ipv6Bytes('::'))).toBe('0'.repeat(32));
    expect(hex(ipv6Bytes('::1'))).toBe(`${'0'.repeat(30)}01`);
    expect(hex(ipv6Bytes('fe80::1%lo'))).toBe(`fe80${'0'.repeat(26)}01`);
    expect(hex(ipv6Bytes('::ffff:1.2.3.4'))).toBe(`${'0'.repeat(20)}ffff01020304`);
    expect(hex(ipv6Bytes('2001:db8::8:800:200c:417a'))).toBe('20010db80000000000080800200c417a');
    expect(hex(ipv6Bytes('1:2:3:4:5:6:7:8'))).toBe('00010002000300040005000600070008');
  });

  it('finds a bound socket’s own line in /proc/net/udp and /proc/net/udp6', async () => {
    for (const [type, host, file, family] of [
      ['udp4', '127.0.0.1', '/proc/net/udp', 4],
      ['udp6', '::1', '/proc/net/udp6', 6],
    ] as const) {
      const socket = await bound(type, host);
      try {
        const local = procLocalAddress(host, socket.address().port, family);
        const lines = readFileSync(file, 'latin1').split('\n');
        expect(lines.filter((line) => line.trim().split(/\s+/)[1] === local)).toHaveLength(1);
        expect(readKernelDrops(host, socket.address().port, family)).toBe(0);
      } finally {
        socket.close();
      }
    }
  });

  it('sums the drops column of the matching lines only', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  1: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 7',
      '  2: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 112 2 0000000000000000 5',
      '  3: 0100007F:1F91 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 113 2 0000000000000000 100',
      '',
    ].join('\n');
    expect(dropsIn(table, procLocalAddress('127.0.0.1', 0x1f90, 4))).toBe(12);
    expect(dropsIn(table, procLocalAddress('127.0.0.2', 0x1f90, 4))).toBe(0);
  });

  it('reads 0 for a socket that does not exist', () => {
    expect(readKernelDrops('127.0.0.1', 9, 4)).toBe(0);
  });
});
