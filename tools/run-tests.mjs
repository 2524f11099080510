#!/usr/bin/env node
// `npm test`: runs the `test` target of every project through Nx, then prints one summary.
//
// Each project's jest writes its counts through tools/jest/summary-reporter.cjs; a project whose
// test target failed without writing counts (a type error in its specs, a crashed runner) counts
// as one failure under its own name, so nothing fails silently. The last line is
// `N passed, N failed` (plus `, N skipped` when tests were skipped).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reportDir = join(root, 'tmp', 'test-reports');
rmSync(reportDir, { recursive: true, force: true });
mkdirSync(reportDir, { recursive: true });

// Arguments go to `nx run-many`; projects left out with --exclude=a,b are not expected to report.
const extraArgs = process.argv.slice(2);
const excluded = new Set(
  extraArgs.flatMap((arg) => (arg.startsWith('--exclude=') ? arg.slice(10).split(',') : [])),
);
const projects = JSON.parse(
  spawnSync('npx', ['nx', 'show', 'projects', '--with-target', 'test', '--json'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout || '[]',
).filter((project) => !excluded.has(project));

const run = spawnSync(
  'npx',
  [
    'nx',
    'run-many',
    '-t',
    'test',
    '--outputStyle=stream',
    '--parallel=1',
    '--skipNxCache',
    ...extraArgs,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, AEM_TEST_REPORT_DIR: reportDir } },
);

let passed = 0;
let failed = 0;
const skipped = [];
const failures = [];
const reported = new Set();
for (const file of existsSync(reportDir) ? readdirSync(reportDir) : []) {
  const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8'));
  reported.add(report.project);
  passed += report.passed;
  failed += report.failed;
  skipped.push(...report.skipped.map((name) => `${report.project}: ${name}`));
  failures.push(...report.failures.map((name) => `${report.project}: ${name}`));
}
if (run.status !== 0) {
  for (const project of projects) {
    if (!reported.has(project)) {
      failed++;
      failures.push(
        `${project}: the test target failed before jest reported (see its output above)`,
      );
    }
  }
  if (failures.length === 0) {
    failed++;
    failures.push(`nx run-many exited with status ${run.status}`);
  }
}

console.log('\n==== test summary ====');
for (const name of skipped) console.log(`skipped: ${name}`);
for (const name of failures) console.log(`FAILED: ${name}`);
console.log(
  `${passed} passed, ${failed} failed${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}`,
);
process.exitCode = failed > 0 ? 1 : 0;
