// Every runnable example of every package README, run as a user runs it: an ES module script
// next to the built packages (`@aem/*` resolve to their `dist/` through the workspace links),
// TypeScript transpiled as a user's `tsc` would (experimentalDecorators on). Each must exit by
// itself with code 0 — no timer or socket left holding the process, no `process.exit` — and
// print what its marker says, in order. Which blocks run: see extract-examples.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { extractExamples } from './extract-examples.mjs';

const root = new URL('../..', import.meta.url).pathname;
const TIMEOUT_MS = 30_000;

describe('README examples', () => {
  const packagesDir = join(root, 'packages');
  for (const dir of readdirSync(packagesDir).sort()) {
    const readme = join(packagesDir, dir, 'README.md');
    if (!existsSync(readme)) continue;
    const examples = extractExamples(readFileSync(readme, 'utf8'));
    if (examples.length === 0) continue;
    describe(`packages/${dir}/README.md`, () => {
      // Inside the package (gitignored `.readme-*`), so imports resolve as they do for a user.
      const work = mkdtempSync(join(packagesDir, dir, '.readme-examples-'));
      after(() => rmSync(work, { recursive: true, force: true }));
      for (const example of examples) {
        it(`the example at line ${example.line} runs and exits by itself`, () => {
          const file = join(work, `line-${example.line}.mjs`);
          writeFileSync(file, toModule(example));
          const run = spawnSync(process.execPath, [file], {
            cwd: work,
            encoding: 'utf8',
            timeout: TIMEOUT_MS,
            env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
          });
          const report = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
          assert.equal(run.signal, null, `did not exit within ${TIMEOUT_MS} ms\n${report}`);
          assert.equal(run.status, 0, `exit code ${run.status}\n${report}`);
          let from = 0;
          for (const text of example.prints) {
            const at = run.stdout.indexOf(text, from);
            assert.ok(at >= 0, `did not print ${JSON.stringify(text)} (in order)\n${report}`);
            from = at + text.length;
          }
          if (example.prints.length === 0 && /console\.log/.test(example.code))
            assert.notEqual(run.stdout.trim(), '', `printed nothing\n${report}`);
        });
      }
    });
  }
});

function toModule({ language, code }) {
  if (language === 'js') return code;
  return ts.transpileModule(code, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
    },
  }).outputText;
}
