// A node:test reporter that writes the run's counts where tools/run-tests.mjs reads them
// ($AEM_TEST_REPORT_DIR/readme-examples.json, the shape of the jest summary reporter), so the
// README examples count in `npm test`'s summary. It prints nothing itself: the spec reporter
// next to it does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function* countReporter(source) {
  const report = { project: 'readme-examples', passed: 0, failed: 0, skipped: [], failures: [] };
  for await (const event of source) {
    // Suites report too (with `details.type === 'suite'`): only tests count.
    if (event.data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass') {
      if (event.data.skip) report.skipped.push(event.data.name);
      else report.passed++;
    } else if (event.type === 'test:fail') {
      report.failed++;
      report.failures.push(event.data.name);
    }
  }
  const dir = process.env.AEM_TEST_REPORT_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'readme-examples.json'), JSON.stringify(report));
  }
  yield '';
}
