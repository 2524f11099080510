// The README's examples, run as a user runs them: plain ES modules importing the built
// package (the test script builds it first), each in its own Node process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Plain output: CI runners force colours, which would wrap printed values in escape codes. */
const PLAIN_ENV = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };

const run = (file: string): string =>
  execFileSync(process.execPath, [join(__dirname, '..', 'examples', file)], {
    encoding: 'utf8',
    timeout: 30_000,
    env: PLAIN_ENV,
  });

describe('examples', () => {
  it('echo-server.mjs: upper-cases three lines and closes', () => {
    const output = run('echo-server.mjs');
    expect(output).toContain('replies: ALPHA BETA GAMMA');
    expect(output).toContain('client closed: local');
  });

  it('length-prefixed.mjs: applies requests of one connection in order', () => {
    expect(run('length-prefixed.mjs')).toContain('alice=15, alice=12, bob=7');
  });

  it('content-length.mjs: answers a SIP OPTIONS', () => {
    expect(run('content-length.mjs')).toContain('SIP/2.0 200 OK | handled OPTIONS');
  });
});
