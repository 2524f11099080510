// Writes one project's test counts to $AEM_TEST_REPORT_DIR/<folder>.json for tools/run-tests.mjs.
// Skipped tests are listed by full name: a skipped suite says why in its own title.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.AEM_TEST_REPORT_DIR;
    if (!dir) return;
    const skipped = [];
    const failed = [];
    for (const file of results.testResults) {
      if (file.testExecError)
        failed.push(
          `${path.relative(this.rootDir, file.testFilePath)}: ${file.testExecError.message}`,
        );
      for (const test of file.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo')
          skipped.push(test.fullName);
        if (test.status === 'failed') failed.push(test.fullName);
      }
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(this.rootDir, 'package.json'), 'utf8'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `${path.basename(this.rootDir)}.json`),
      JSON.stringify({
        project: manifest.name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped,
        failures: failed,
      }),
    );
  }
}

module.exports = SummaryReporter;
