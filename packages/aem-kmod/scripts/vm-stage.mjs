#!/usr/bin/env node
// Stages what the test VM's Node suites need into the guest's initramfs tree, at the same absolute
// paths as on the host: the node binary and the shared libraries it links, and the part of the
// workspace the suites and benchmarks load (each workspace package's package.json, dist/, test/
// and bench/; @aem/kmod's binding and built programs; the npm packages they depend on, found by
// walking dependencies, peer and optional dependencies from node_modules).
//
// Why: the guest used to run the host's node through a 9p export of the host's root, and under
// TCG every file Node's resolver touches is a 9p round trip. Loading rxjs and the packages took
// 25–190 s per suite (t_tcp_conformance: 21 s of tests in a 212 s suite), which put the whole VM
// run at the edge of its time limit on a busy machine. From the initramfs the same files are in
// the guest's memory before /init starts.
//
//   node vm-stage.mjs --root <initramfs tree> --node <node binary> --workspace <workspace root>
//                     --packages aem-core,aem-timers,aem-tcp,aem-udp,aem-kmod [--apps sip-uas]
//                     [--tools /usr/bin/strace,…]
//
// --packages names the workspace folders under packages/ that the guest's suites load (a new
// service package with a VM suite adds its folder in vm-test.sh); --apps the folders under apps/
// (the same parts, plus the app's sipp scenarios and Kamailio configurations); --tools names
// other host programs a benchmark runs in the guest (strace for the system-call counts, sipp and
// Kamailio for the SIP suites) or shared objects it loads (Kamailio's modules), each staged with
// the libraries ldd names, like node.
//
// Prints one line: what it staged (files, bytes). Fails if a library or package is missing.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    root: { type: 'string' },
    node: { type: 'string' },
    workspace: { type: 'string' },
    packages: { type: 'string', default: 'aem-core,aem-timers,aem-tcp,aem-udp,aem-kmod' },
    apps: { type: 'string', default: '' },
    tools: { type: 'string', default: '' },
  },
});
if (!opt.root || !opt.node || !opt.workspace) {
  console.error('vm-stage: usage: vm-stage.mjs --root DIR --node BIN --workspace DIR');
  process.exit(2);
}

let files = 0;
let bytes = 0;
/**
 * Copies a host path (file or tree) to the same absolute path under the guest root. Symlinks
 * inside a tree stay symlinks (node_modules/@aem/* point into packages/, staged too); with
 * `dereference` the path itself is copied as the file it points to (a library named by ldd).
 */
function stage(path, dereference = false) {
  const target = join(opt.root, path);
  mkdirSync(dirname(target), { recursive: true });
  if (dereference) copyFileSync(path, target);
  else cpSync(path, target, { recursive: true, verbatimSymlinks: true });
  count(target);
}
function count(path) {
  const st = lstatSync(path);
  if (st.isDirectory()) for (const name of readdirSync(path)) count(join(path, name));
  else {
    files++;
    bytes += st.size;
  }
}

/** The shared objects a binary loads, from ldd (absolute paths; the vDSO has none). */
function sharedLibraries(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]);
    else if (/not found/.test(line)) throw new Error(`vm-stage: ${binary}: ${line.trim()}`);
  }
  return libs;
}

// The node binary (and any other program named) with its libraries, as files at the paths ldd
// names: the guest has no ld.so.cache, and the loader finds them in its default multiarch
// directories.
for (const program of [opt.node, ...opt.tools.split(',').filter(Boolean)]) {
  stage(program, true);
  for (const lib of sharedLibraries(program)) stage(lib, true);
}

// Name resolution for "localhost" in the guest: glibc reads /etc/hosts.
mkdirSync(join(opt.root, 'etc'), { recursive: true });
cpSync(new URL('vm-hosts', import.meta.url), join(opt.root, 'etc', 'hosts'));

// The workspace: the root package.json (Node reads it for "type"), each package's runtime parts.
const ws = opt.workspace;
stage(join(ws, 'package.json'));
const packagesDir = join(ws, 'packages');
const wanted = new Set();
const members = [
  ...opt.packages.split(',').filter(Boolean).map((name) => join(packagesDir, name)),
  ...opt.apps.split(',').filter(Boolean).map((name) => join(ws, 'apps', name)),
];
for (const dir of members) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const part of ['package.json', 'dist', 'test', 'bench', 'binding', 'sipp', 'kamailio']) {
    if (existsSync(join(dir, part))) stage(join(dir, part));
  }
  for (const dep of dependencyNames(manifest)) wanted.add(dep);
  if (existsSync(join(ws, 'node_modules', manifest.name))) stage(join(ws, 'node_modules', manifest.name));
}
// @aem/kmod's built programs: the binding and the C benchmarks' load generators (not build/vm*).
const kmodBuild = join(packagesDir, 'aem-kmod', 'build');
for (const name of existsSync(kmodBuild) ? readdirSync(kmodBuild) : []) {
  if (name === 'aem.node' || name.startsWith('b_')) stage(join(kmodBuild, name));
}

// npm dependencies, transitively, from the root node_modules (the workspace hoists them).
const seen = new Set();
const queue = [...wanted];
while (queue.length > 0) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  const dir = join(ws, 'node_modules', name);
  if (!existsSync(dir)) continue; // an optional or unused peer: absent on the host too
  if (lstatSync(dir).isSymbolicLink()) continue; // a workspace package, staged above
  stage(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  queue.push(...dependencyNames(manifest));
}

function dependencyNames(manifest) {
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ].filter((name) => !name.startsWith('@aem/'));
}

console.log(`vm-stage: ${files} files, ${(bytes / 1048576).toFixed(1)} MiB staged for the guest's node ${opt.node}`);
