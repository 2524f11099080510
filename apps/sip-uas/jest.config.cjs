// The workspace preset, plus: inversify 8 (used by @aem/app-kit) is ESM-only, which jest's module
// loader cannot require() before Node 24.9, so jest transpiles it to CommonJS.
const preset = require('../../tools/jest/jest.preset.cjs')(__dirname);

module.exports = {
  ...preset,
  transform: {
    ...preset.transform,
    '^.+/node_modules/(inversify|@inversifyjs/[^/]+)/.+\\.js$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', sourceMap: false },
        isolatedModules: true,
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs)/)'],
};
