// Shared jest configuration of every TypeScript project; each project's jest.config.cjs is
// `module.exports = require('../../tools/jest/jest.preset.cjs')(__dirname);`.
const path = require('node:path');
const fs = require('node:fs');

const workspaceRoot = path.resolve(__dirname, '../..');

/** Maps `@aem/<name>` to the sources of `packages/aem-<name>`, so tests never need a build. */
function workspaceModules() {
  const mapper = {};
  const packagesDir = path.join(workspaceRoot, 'packages');
  for (const dir of fs.readdirSync(packagesDir)) {
    const manifestPath = path.join(packagesDir, dir, 'package.json');
    if (!fs.existsSync(manifestPath)) continue;
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const exportsMap = manifest.exports ?? {};
    for (const subpath of Object.keys(exportsMap)) {
      const source = subpath === '.' ? 'src/index.ts' : `src/${subpath.slice(2)}/index.ts`;
      if (!fs.existsSync(path.join(packagesDir, dir, source))) continue;
      const name = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      mapper[`^${name.replace(/[/]/g, '\\/')}$`] = path.join(packagesDir, dir, source);
    }
  }
  return mapper;
}

module.exports = (projectDir) => ({
  displayName: path.basename(projectDir),
  rootDir: projectDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(projectDir, 'tsconfig.spec.json') }],
  },
  moduleNameMapper: workspaceModules(),
  reporters: ['default', path.join(__dirname, 'summary-reporter.cjs')],
});
