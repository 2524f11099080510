import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The conformance suite (test/tcp-conformance.test.mjs) is plain `node --test` so that the test
// VM can run it unchanged on the kmod backend (t_tcp_conformance in @aem/kmod's vm-init.sh);
// here it runs on the userspace backend against the built package, as CI's host half.
describe('TCP conformance suite', () => {
  it('passes on the userspace backend', () => {
    const run = spawnSync(
      process.execPath,
      ['--test', '--test-reporter=tap', join(__dirname, '../test/tcp-conformance.test.mjs')],
      { env: { ...process.env, AEM_BACKEND: 'userspace' }, encoding: 'utf8', timeout: 120_000 },
    );
    const failed = run.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    expect(failed).toEqual([]);
    expect(run.status).toBe(0);
  }, 130_000);
});
