// The shared preset, plus one addition: inversify 8 (and its @inversifyjs/* parts) ship as ES
// modules only. Node ≥ 20.19 `require()`s them natively, but jest's own module loader does not
// (before Node 24.9), so under jest they are transpiled to CommonJS by ts-jest.
const preset = require('../../tools/jest/jest.preset.cjs')(__dirname);

module.exports = {
  ...preset,
  transform: {
    ...preset.transform,
    '^.+/node_modules/(inversify|@inversifyjs/[^/]+)/.+\\.js$': [
      'ts-jest',
      {
        tsconfig: {
          allowJs: true,
          module: 'commonjs',
          target: 'ES2022',
          esModuleInterop: true,
          sourceMap: false,
          skipLibCheck: true,
        },
        isolatedModules: true,
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs)/)'],
};
