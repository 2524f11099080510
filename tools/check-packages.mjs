#!/usr/bin/env node
// `npm run check:packages`: packs every publishable package (`npm pack`, so its `prepack` runs
// and `files` decides what ships) and checks each tarball the way a consumer would meet it:
//
// - contents: the files that must ship (README.md, LICENSE, every file `exports`, `main`,
//   `types` and `bin` point at) and nothing that must not (specs, source maps without their
//   sources, Kbuild outputs);
// - publint: package.json fields against the files (exports, main, types, bin, files);
// - @arethetypeswrong/cli: types resolve for ESM (`import`) and CommonJS (`require`) consumers.
//
// Needs the TypeScript packages built (`npm run build`). Also used by the publish end-to-end
// test (tools/e2e-publish), which then publishes these same tarballs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

export const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The published packages, in dependency order (publishing follows it). */
export const PACKAGES = ['aem-kmod', 'aem-core', 'aem-timers', 'aem-tcp', 'aem-udp', 'aem-app-kit'];

/** Paths that must never ship (matched against each tarball entry, relative to `package/`). */
const FORBIDDEN = [
  /\.spec\./,
  /\.map$/,
  /(^|\/)(tsconfig|jest\.config)[^/]*$/,
  /\.tsbuildinfo$/,
  /\.(o|ko|mod|cmd)$/,
  /\.mod\.c$/,
  /(^|\/)(Module\.symvers|modules\.order)$/,
  /^(tests|bench|scripts|examples)\//,
  /^binding\/(test|bench)\//,
];

/**
 * `attw --profile node16`: checks `node16` resolution from CommonJS and from ESM, and
 * `bundler`. The `strict` default also checks `node10` (TypeScript's `moduleResolution:
 * node`), which predates `exports`: there the subpaths `@aem/timers/testing` and
 * `@aem/kmod/binding` cannot resolve. Every package requires Node ≥ 24, whose projects use
 * node16/nodenext or bundler resolution, so no `typesVersions` shim is added for node10.
 */
const ATTW_ARGS = ['--profile', 'node16', '--format', 'json'];
/** The resolutions `--profile node16` leaves out; attw's JSON lists their problems anyway. */
const ATTW_IGNORED_RESOLUTIONS = new Set(['node10']);
/**
 * Known, accepted attw findings, each with its reason. `@aem/kmod/binding` (binding/index.js)
 * exports some names as properties read from the native addon or built in place (`sock`,
 * `TCP_KIND`, `TimerfdBaseline`: `{ name: native.x }`), which Node's CommonJS export lexer cannot
 * see, so an ES-module *named* import of those fails while `import binding from` works. Its
 * consumer is `@aem/core`, which `require()`s it, so this is accepted; the fix is to bind each to
 * a `const` first and export them all in shorthand (`module.exports = { a, b }`).
 */
const ATTW_ACCEPTED = [{ package: '@aem/kmod', accepts: (p) => p.kind === 'NamedExports' }];

/**
 * Packs `folder` into `destination` (running its `prepack`). Returns the tarball's path.
 *
 * @param {string} folder - e.g. `aem-core`.
 * @param {string} destination - a directory.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function pack(folder, destination, env = process.env) {
  const result = spawnSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: join(WORKSPACE, 'packages', folder),
    encoding: 'utf8',
    env,
  });
  if (result.status !== 0) {
    throw new Error(`npm pack in packages/${folder} failed:\n${result.stderr}${result.stdout}`);
  }
  // npm prints the prepack script's output before the JSON array.
  const json = JSON.parse(result.stdout.slice(result.stdout.indexOf('\n[') + 1 || 0));
  return join(destination, json[0].filename);
}

/** The entries of a `.tgz` (ustar, as npm writes it): path relative to `package/` → bytes. */
export function readTarball(file) {
  const tar = gunzipSync(readFileSync(file));
  const entries = new Map();
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (from, length) =>
      header
        .subarray(from, from + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = text(345, 155) ? `${text(345, 155)}/${text(0, 100)}` : text(0, 100);
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    if (type === '0' || type === '') {
      entries.set(name.replace(/^package\//, ''), tar.subarray(at + 512, at + 512 + size));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Every file the manifest points at (exports targets, main, types, bin). */
function referencedFiles(manifest) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  for (const field of ['main', 'types']) if (manifest[field]) walk(manifest[field]);
  return [...files];
}

/**
 * Checks one tarball. Returns one `{ name, ok, detail }` per check.
 *
 * @param {string} tarball
 */
export async function checkTarball(tarball) {
  const entries = readTarball(tarball);
  const manifest = JSON.parse(entries.get('package.json').toString('utf8'));
  const label = manifest.name;
  const results = [];

  const missing = ['README.md', 'LICENSE', ...referencedFiles(manifest)].filter(
    (file) => !entries.has(file),
  );
  const forbidden = [...entries.keys()].filter(
    // Generator templates (`…__tmpl__`) are files a generator writes into a user's workspace.
    (file) => !file.endsWith('__tmpl__') && FORBIDDEN.some((re) => re.test(file)),
  );
  results.push({
    name: `${label}: the tarball ships README, LICENSE and every file package.json points at, and no build leftovers`,
    ok: missing.length === 0 && forbidden.length === 0,
    detail: [
      missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
      forbidden.length > 0 ? `must not ship: ${forbidden.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  });

  const tgz = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: tgz.buffer.slice(tgz.byteOffset, tgz.byteOffset + tgz.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  results.push({
    name: `${label}: publint finds nothing (suggestions included)`,
    ok: messages.length === 0,
    detail: messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`).join('\n'),
  });

  const attw = spawnSync(join(WORKSPACE, 'node_modules/.bin/attw'), [tarball, ...ATTW_ARGS], {
    encoding: 'utf8',
  });
  let problems;
  try {
    problems = (JSON.parse(attw.stdout).analysis.problems ?? []).filter(
      (p) =>
        !ATTW_IGNORED_RESOLUTIONS.has(p.resolutionKind) &&
        !ATTW_ACCEPTED.some((known) => known.package === label && known.accepts(p)),
    );
  } catch {
    problems = [{ kind: `attw did not run: ${attw.stderr || attw.stdout}` }];
  }
  results.push({
    name: `${label}: types resolve for import and require (attw --profile node16)`,
    ok: problems.length === 0,
    detail: problems
      .map((p) =>
        [p.kind, p.entrypoint, p.resolutionKind && `(${p.resolutionKind})`, p.missing?.join(', ')]
          .filter(Boolean)
          .join(' '),
      )
      .join('\n'),
  });
  return results;
}

async function main() {
  const destination = mkdtempSync(join(tmpdir(), 'aem-pack-'));
  let failed = 0;
  try {
    mkdirSync(destination, { recursive: true });
    for (const folder of PACKAGES) {
      for (const result of await checkTarball(pack(folder, destination))) {
        console.log(`${result.ok ? 'ok' : 'not ok'} - ${result.name}`);
        if (!result.ok) {
          failed++;
          console.log(result.detail.replace(/^/gm, '  # '));
        }
      }
    }
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }
  console.log(failed === 0 ? 'all packages check out' : `${failed} check(s) failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
