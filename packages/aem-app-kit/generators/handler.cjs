// The handler generator's entry for Nx. A plain CommonJS file on purpose: for a plugin that is a
// project of the workspace, Nx maps a factory path under dist/ back to its TypeScript source,
// which it can only load with swc-node or ts-node installed. This file has no source to map to.
module.exports = require('../dist/generators/handler/generator.js');
