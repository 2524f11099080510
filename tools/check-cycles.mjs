#!/usr/bin/env node
// `lint` step: fails on an import cycle among a package's own source files.
//
// Usage: node tools/check-cycles.mjs <dir>... (run from the package folder). Every relative
// import and export-from counts, `import type` included: a cycle of types is still a cycle a
// reader has to hold in mind at once, and it is how runtime cycles start. Spec files are left
// out (a test may import what it tests from anywhere). Prints each cycle as a path of files and
// exits 1 when there is one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: check-cycles <dir>...');
  process.exit(2);
}

/** Every non-spec `.ts` file under `dir`. */
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.m?ts$/.test(name) && !/\.(spec|test|spec-helper)\.m?ts$/.test(name)) out.push(path);
  }
  return out;
}

/** The file a relative specifier names, or undefined. */
function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier.replace(/\.(m?js)$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Relative imports of one file (import, import type, export … from, dynamic import()). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((entry) => entry.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolveImport(file, specifier))
    .filter((target) => target !== undefined);
}

const files = dirs.flatMap((dir) => (existsSync(dir) ? sources(resolve(dir)) : []));
const graph = new Map(files.map((file) => [file, importsOf(file)]));

// Tarjan's strongly connected components: every component of more than one file (or a file
// importing itself) is a cycle.
let index = 0;
const indices = new Map();
const lowlinks = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(file) {
  indices.set(file, index);
  lowlinks.set(file, index);
  index++;
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file) ?? []) {
    if (!graph.has(target)) continue;
    if (!indices.has(target)) {
      connect(target);
      lowlinks.set(file, Math.min(lowlinks.get(file), lowlinks.get(target)));
    } else if (onStack.has(target)) {
      lowlinks.set(file, Math.min(lowlinks.get(file), indices.get(target)));
    }
  }
  if (lowlinks.get(file) !== indices.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component);
}
for (const file of graph.keys()) if (!indices.has(file)) connect(file);

if (cycles.length === 0) process.exit(0);
for (const component of cycles) {
  const names = component.map((file) => relative(process.cwd(), file)).sort();
  console.error(`import cycle among ${names.length} file(s):\n  ${names.join('\n  ')}`);
}
process.exit(1);
