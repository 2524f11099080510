#!/usr/bin/env node
// Stops `npm test` and `npm start` early, with the way out, on a Node.js line the workspace does
// not support (the root package.json's engines.node; .ci/node-lines.txt lists the lines CI runs).
// Written for old lines too: nothing here needs more than Node 12.
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { engines } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lines = readFileSync(new URL('.ci/node-lines.txt', root), 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter(Boolean);
const oldest = Number(/^>=\s*(\d+)/.exec(engines.node)?.[1]);
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= oldest)) {
  const majors = lines.map((v) => v.split('.')[0]).join(' and ');
  console.error(
    `This workspace needs Node.js ${engines.node} (CI runs ${majors}); this is ${process.version}.\n` +
      `Install a supported one with npm alone and put it first on PATH, then run the command again:\n` +
      `  export PATH="$(tools/install-node.sh ${lines[0]}):$PATH"`,
  );
  process.exit(1);
}
