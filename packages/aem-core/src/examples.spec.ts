// The core demo (examples/demo.mjs) and the README's first example, run as a user runs them:
// plain ES modules importing the built package (the test script builds it first).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(__dirname, '..');
/** Plain output: CI runners force colours, which would wrap printed values in escape codes. */
const PLAIN_ENV = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
const run = (file: string): string =>
  execFileSync(process.execPath, [file], {
    encoding: 'utf8',
    timeout: 30_000,
    env: PLAIN_ENV,
    cwd: packageDir,
  });

describe('examples', () => {
  it('examples/demo.mjs keeps per-call order, isolates the failing handler and unloads v1', () => {
    const output = run(join(packageDir, 'examples', 'demo.mjs'));
    expect(output).toContain('per-call order kept: true');
    expect(output).toContain('unload refused: AEM_SERVICE_BUSY (1 live event)');
    expect(output).toContain('v1 unloaded; loaded now: signalling@1.1.0');
    expect(output).toMatch(/call-4: INVITE → RINGING → ANSWER → BYE/);
  });

  it('the README’s first example runs as written', () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const code = /```js\n(import \{ createAem, defineCall[\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // Written inside the package so that `@aem/core` resolves as it does for a user.
    const dir = mkdtempSync(join(packageDir, '.readme-'));
    try {
      writeFileSync(join(dir, 'example.mjs'), code as string);
      const output = run(join(dir, 'example.mjs'));
      expect(output).toContain('event 1: tick 3');
      expect(output).toContain('stream [ 1, 2 ]');
      expect(output).toContain('first tick 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
