import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receiveBufferWarning } from './udp-receive-buffer';

describe('receiveBufferWarning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmem-'));
  const cap = join(dir, 'rmem_max');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says nothing when the request fits under net.core.rmem_max', () => {
    writeFileSync(cap, '4194304\n');
    expect(receiveBufferWarning(4_194_304, cap)).toBeUndefined();
  });

  it('warns when the kernel will cap the request', () => {
    writeFileSync(cap, '212992\n');
    expect(receiveBufferWarning(4_194_304, cap)).toMatch(
      /SIP_UDP_RECV_BUFFER_BYTES is 4194304 but net\.core\.rmem_max is 212992/,
    );
  });

  it('says nothing where the cap cannot be read (not Linux)', () => {
    expect(receiveBufferWarning(4_194_304, join(dir, 'absent'))).toBeUndefined();
  });
});
