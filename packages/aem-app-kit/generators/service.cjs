// The service generator's entry for Nx. A plain CommonJS file on purpose: for a plugin that is a
// project of the workspace, Nx maps a factory path under dist/ back to its TypeScript source,
// which it can only load with swc-node or ts-node installed. This file has no source to map to.
try {
  module.exports = require('../dist/generators/service/generator.js');
} catch (error) {
  // In the AEM monorepo itself, the kit must be built first: say so instead of Nx's stack.
  if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes('generator.js'))
    throw error;
  throw new Error(
    '@aem/app-kit is not built (no dist/generators/service/generator.js): run `npx nx run @aem/app-kit:build` first',
    { cause: error },
  );
}
