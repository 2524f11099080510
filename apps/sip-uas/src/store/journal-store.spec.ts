import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalStore } from './journal-store';
import type { StoredBinding } from './registrar-store';

const dir = mkdtempSync(join(tmpdir(), 'sip-journal-'));
let n = 0;
const fresh = () => join(dir, `journal-${++n}`);
const binding = (
  contact: string,
  expiresAt: number,
  aor = 'sip:alice@example.org',
): StoredBinding => ({
  aor,
  contact,
  expiresAt,
  callId: `call-${contact}`,
  cseq: 1,
});

describe('JournalStore', () => {
  it('keeps every acknowledged binding across kill -9 and drops the expired ones', () => {
    const path = fresh();
    // A child saves three bindings (one removed again), waits for the acknowledgements, and is
    // killed with SIGKILL: no close(), no exit handlers.
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const { JournalStore } = require(${JSON.stringify(join(__dirname, '../../dist/store/journal-store.js'))});
         const store = new JournalStore(${JSON.stringify(path)});
         const b = (contact, expiresAt) => ({ aor: 'sip:alice@example.org', contact, expiresAt, callId: 'c', cseq: 1 });
         Promise.all([store.save(b('sip:a@10.0.0.1', Date.now() + 60000)),
                      store.save(b('sip:b@10.0.0.2', Date.now() + 60000)),
                      store.save(b('sip:gone@10.0.0.3', Date.now() + 60000)),
                      store.save(b('sip:old@10.0.0.4', Date.now() + 1))])
           .then(() => store.remove('sip:alice@example.org', 'sip:gone@10.0.0.3'))
           .then(() => process.kill(process.pid, 'SIGKILL'));`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
    const store = new JournalStore(path, { now: () => Date.now() + 10 });
    return store.restore().then(async (bindings) => {
      expect(bindings.map((b) => b.contact).sort()).toEqual(['sip:a@10.0.0.1', 'sip:b@10.0.0.2']);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await store.close();
    });
  });

  it('honours expiry across the restart', async () => {
    const path = fresh();
    let now = 1_000_000;
    const first = new JournalStore(path, { now: () => now });
    await first.save(binding('sip:short@h', now + 30_000));
    await first.save(binding('sip:long@h', now + 3_600_000));
    await first.close();
    now += 60_000;
    const second = new JournalStore(path, { now: () => now });
    expect((await second.restore()).map((b) => b.contact)).toEqual(['sip:long@h']);
    await second.close();
  });

  it('skips a torn last record and a corrupted line with warnings, keeping the rest', async () => {
    const path = fresh();
    const first = new JournalStore(path);
    await first.save(binding('sip:one@h', Date.now() + 60_000));
    await first.save(binding('sip:two@h', Date.now() + 60_000));
    await first.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    // Corrupt the first record's JSON (its checksum no longer matches), then a torn write.
    const corrupted = [lines[0]!.replace('one', 'One'), lines[1], ''].join('\n');
    writeFileSync(path, corrupted);
    appendFileSync(path, '0badc0de {"op":"put","b":{"ao');
    const warnings: string[] = [];
    const second = new JournalStore(path, { warn: (m) => warnings.push(m) });
    expect((await second.restore()).map((b) => b.contact)).toEqual(['sip:two@h']);
    expect(second.skipped).toBe(2);
    expect(warnings).toEqual([
      `${path}:3: skipped a journal record: incomplete last record (a write cut short)`,
      `${path}:1: skipped a journal record: checksum mismatch`,
    ]);
    // Appends after a torn tail start on a line of their own.
    await second.save(binding('sip:three@h', Date.now() + 60_000));
    await second.close();
    const third = new JournalStore(path, { warn: () => undefined });
    expect((await third.restore()).map((b) => b.contact).sort()).toEqual([
      'sip:three@h',
      'sip:two@h',
    ]);
    await third.close();
  });

  it('compacts to the live bindings once the journal outgrows them', async () => {
    const path = fresh();
    const store = new JournalStore(path, { compactAfter: 50 });
    for (let round = 0; round < 30; round++)
      await Promise.all(
        ['a', 'b', 'c'].map((c) =>
          store.save({ ...binding(`sip:${c}@h`, Date.now() + 60_000), cseq: round }),
        ),
      );
    await store.close();
    const records = readFileSync(path, 'utf8').trim().split('\n').length;
    expect(records).toBeLessThan(50);
    const reopened = new JournalStore(path);
    const restored = await reopened.restore();
    expect(restored.map((b) => [b.contact, b.cseq]).sort()).toEqual([
      ['sip:a@h', 29],
      ['sip:b@h', 29],
      ['sip:c@h', 29],
    ]);
    await reopened.close();
  });

  it('acknowledges 500 saves made in one event-loop turn', async () => {
    const path = fresh();
    const store = new JournalStore(path);
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => store.save(binding(`sip:${i}@h`, Date.now() + 60_000))),
    );
    expect((await store.restore()).length).toBe(500);
    await store.close();
  });
});
