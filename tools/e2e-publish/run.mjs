#!/usr/bin/env node
// `npm run e2e:publish` (and the `test` target of the `e2e-publish` project, so `npm test` and
// CI run it): the path a user takes, end to end.
//
// 1. A release dry run in a scratch clone shows independent versions from conventional commits.
// 2. Every package is packed and checked (tools/check-packages.mjs: contents, publint, attw).
// 3. verdaccio starts on 127.0.0.1 with a temporary storage; the tarballs are published to it.
// 4. In fresh directories outside the workspace, the packages are installed from it and a tiny
//    app runs as an ES-module project and as a CommonJS project (a timer fires, a TCP echo
//    and a UDP echo round-trip, `backend: 'kmod'` says why it is unavailable); @aem/kmod's
//    prebuilt binding loads, its CLI reports status and builds the modules against installed
//    kernel headers.
// 5. A fresh Nx workspace installs @aem/app-kit and runs its `application` generator; the
//    generated app builds and passes its own test.
// The registry is always stopped. Each check prints `ok`/`not ok`; the counts go to
// $AEM_TEST_REPORT_DIR/e2e-publish.json for tools/run-tests.mjs. AEM_E2E_KEEP=1 keeps the
// temporary directories.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { release, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGES, WORKSPACE, checkTarball, pack } from '../check-packages.mjs';
import { startRegistry } from './registry.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Nx version of the fresh workspace: the one this workspace and @aem/app-kit are built with. */
const NX_VERSION = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')).devDependencies
  .nx;
const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 120_000;

/* checks */

const results = [];
const failedGroups = new Set();

/**
 * Runs one check. A check of a `group` whose earlier check failed is not run (it could only
 * fail for the same reason) and counts as failed, naming the cause.
 */
async function check(name, body, { group } = {}) {
  if (group && failedGroups.has(group)) {
    record(name, false, `not run: an earlier check of '${group}' failed`);
    return;
  }
  const started = Date.now();
  try {
    await body();
    record(name, true, `${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    if (group) failedGroups.add(group);
    record(
      name,
      false,
      error instanceof assert.AssertionError ? error.message : String(error.stack ?? error),
    );
  }
}

function record(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'ok' : 'not ok'} ${results.length} - ${name}${ok ? ` (${detail})` : ''}`);
  if (!ok) console.log(detail.replace(/^/gm, '  # '));
}

/* processes */

/** The environment without what a parent npm or Nx run sets for its own children. */
function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NX_TASK|NX_WORKSPACE_ROOT|INIT_CWD$|AEM_TEST_REPORT_DIR$)/i.test(key)) continue;
    env[key] = value;
  }
  // Nx forces colours for its tasks; this test parses output, so none.
  delete env.FORCE_COLOR;
  return {
    ...env,
    NO_COLOR: '1',
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_SKIP_NX_CACHE: 'true',
    CI: 'true',
  };
}

/** Runs a command; throws with its output when it fails or times out. Returns stdout. */
function run(command, args, { cwd, env, timeout = RUN_TIMEOUT_MS, allowFailure = false }) {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  // Whatever a tool decides about colours, the checks read plain text.
  result.stdout = stripAnsi(result.stdout ?? '');
  result.stderr = stripAnsi(result.stderr ?? '');
  const output = `${result.stdout}${result.stderr}`;
  if (result.error)
    throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${tail(output)}`);
  if (result.status !== 0 && !allowFailure) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status} in ${cwd}:\n${tail(output)}`,
    );
  }
  return allowFailure ? result : result.stdout;
}

function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

function tail(text, lines = 40) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/* 1. release dry run */

/**
 * A scratch clone of HEAD with the working tree's release configuration, each package tagged
 * as released at its current version, plus two conventional commits (a fix in @aem/timers, a
 * breaking change in @aem/app-kit): the dry run must give each package its own version and
 * leave @aem/core and @aem/kmod alone.
 */
function releaseDryRun(scratch, env) {
  const clone = join(scratch, 'clone');
  mkdirSync(scratch, { recursive: true });
  run('git', ['clone', '--quiet', '--shared', WORKSPACE, clone], { cwd: scratch, env });
  const git = (...args) =>
    run('git', ['-c', 'user.name=AEM e2e', '-c', 'user.email=e2e@invalid', ...args], {
      cwd: clone,
      env,
    });
  for (const file of [
    'nx.json',
    'package.json',
    ...PACKAGES.map((p) => `packages/${p}/package.json`),
  ]) {
    copyFileSync(join(WORKSPACE, file), join(clone, file));
  }
  symlinkSync(join(WORKSPACE, 'node_modules'), join(clone, 'node_modules'), 'dir');
  git('add', '-A');
  git('commit', '--quiet', '--allow-empty', '-m', 'chore(repo): the release configuration');
  // The last release: each package tagged at its current version, so that only the commits
  // below decide the bumps, whatever conventional commits the real history already has.
  for (const folder of PACKAGES) {
    const manifest = JSON.parse(
      readFileSync(join(clone, 'packages', folder, 'package.json'), 'utf8'),
    );
    git('tag', `${manifest.name}@${manifest.version}`);
  }
  writeFileSync(join(clone, 'packages/aem-timers/FIX.md'), 'a fix\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'fix(timers): a bug fix');
  writeFileSync(join(clone, 'packages/aem-app-kit/BREAKING.md'), 'a breaking change\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'feat(app-kit)!: a breaking change');
  const rootScripts = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).scripts;
  assert.ok(rootScripts['release:dry-run'], 'no release:dry-run script');
  const result = run('npm', ['run', '--silent', 'release:dry-run'], {
    cwd: clone,
    env,
    timeout: 180_000,
    allowFailure: true,
  });
  // Nx writes the version steps to stdout and the file previews to stderr.
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0)
    throw new Error(`release:dry-run exited ${result.status}:\n${tail(output)}`);
  return output;
}

/* 4. fresh consumer projects */

function freshProject(scratch, name, manifest) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, private: true, ...manifest }, null, 2),
  );
  return dir;
}

function npmInstall(dir, env, packages, dev = false) {
  run('npm', ['install', ...(dev ? ['-D'] : []), '--no-audit', '--no-fund', ...packages], {
    cwd: dir,
    env,
    timeout: INSTALL_TIMEOUT_MS,
  });
}

/** Every @aem/* in the lock file was fetched from the test registry. */
function assertFromRegistry(dir, url) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const aem = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/@aem/'));
  assert.ok(aem.length > 0, 'no @aem/* package in package-lock.json');
  for (const [path, entry] of aem) {
    assert.ok(
      entry.resolved?.startsWith(url),
      `${path} resolved from ${entry.resolved}, not ${url}`,
    );
  }
}

function runTinyApp(dir, env, file) {
  copyFileSync(join(HERE, 'fixtures', file), join(dir, file));
  const stdout = run(process.execPath, [file], { cwd: dir, env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

function assertTinyApp(outcome, module) {
  assert.equal(outcome.module, module);
  assert.ok(outcome.ticks >= 1, `the @OnTimer handler never fired (ticks ${outcome.ticks})`);
  assert.equal(outcome.echo, `echo ping from ${module}`);
  assert.equal(outcome.udpEcho, `udp echo ping from ${module}`);
  assert.equal(outcome.udpStats, '1 received, 1 sent');
  assert.ok(outcome.slept >= 29, `timers.sleep(30) resolved after ${outcome.slept} ms`);
  assert.match(outcome.kmod, /backend "kmod" is unavailable: .*\/dev\/aem/);
}

/** The newest installed Debian kernel with headers (as packages/aem-kmod/scripts/toolchain.sh). */
function installedKernelHeaders() {
  const versions = existsSync('/lib/modules') ? readdirSync('/lib/modules') : [];
  return versions
    .filter((v) => existsSync(join('/lib/modules', v, 'build', 'Makefile')))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
}

/* main */

async function main() {
  const env = cleanEnv();
  const scratch = mkdtempSync(join(tmpdir(), 'aem-e2e-publish-'));
  // Readable by others: one check runs the installed CLI as an unprivileged user.
  chmodSync(scratch, 0o755);
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  console.log(`# scratch directory: ${scratch}`);
  let registry;
  try {
    await check('release dry run: independent versions from conventional commits', () => {
      const output = releaseDryRun(join(scratch, 'release'), env);
      // Nx prints, per project, `New version <v> written to manifest: packages/<folder>/package.json`.
      const bumped = Object.fromEntries(
        [
          ...output.matchAll(
            /New version (\S+) written to manifest: packages\/([\w-]+)\/package\.json/g,
          ),
        ].map((m) => [m[2], m[1]]),
      );
      const seen = `${JSON.stringify(bumped)}\n${tail(output)}`;
      // Below 1.0.0 Nx shifts bumps down one level (adjustSemverBumpsForZeroMajorVersion):
      // a fix is a patch, a breaking change a minor. @aem/tcp follows @aem/timers with a patch
      // (its devDependency on it is rewritten); nothing depends on @aem/core's or kmod's change.
      assert.equal(bumped['aem-timers'], '0.1.1', `timers (fix): ${seen}`);
      assert.equal(bumped['aem-app-kit'], '0.2.0', `app-kit (breaking): ${seen}`);
      assert.equal(bumped['aem-tcp'], '0.1.1', `tcp (dependent): ${seen}`);
      assert.equal(bumped['aem-udp'], undefined, `udp has no commit: ${seen}`);
      assert.equal(bumped['aem-core'], undefined, `core has no commit: ${seen}`);
      assert.equal(bumped['aem-kmod'], undefined, `kmod has no commit: ${seen}`);
      assert.match(output, /CREATE packages\/aem-timers\/CHANGELOG\.md/);
      assert.match(output, /CREATE packages\/aem-app-kit\/CHANGELOG\.md/);
      assert.match(output, /Tagging commit with git/);
    });

    const packed = {};
    for (const folder of PACKAGES) {
      await check(
        `npm pack packages/${folder}`,
        () => {
          packed[folder] = pack(folder, tarballs, env);
        },
        { group: 'pack' },
      );
      if (!packed[folder]) continue;
      for (const result of await checkTarball(packed[folder])) {
        await check(result.name, () => assert.ok(result.ok, result.detail));
      }
    }

    await check(
      'verdaccio starts on 127.0.0.1 with a temporary storage',
      async () => {
        registry = await startRegistry({
          dir: join(scratch, 'registry'),
          verdaccio: join(WORKSPACE, 'node_modules/verdaccio/bin/verdaccio'),
          env,
        });
      },
      { group: 'registry' },
    );

    for (const folder of PACKAGES) {
      await check(
        `publish ${basename(packed[folder] ?? folder)} to it`,
        () => {
          assert.ok(packed[folder], 'not packed');
          run('npm', ['publish', packed[folder], '--access', 'public'], {
            cwd: scratch,
            env: registry.env,
          });
          const manifest = JSON.parse(
            readFileSync(join(WORKSPACE, 'packages', folder, 'package.json'), 'utf8'),
          );
          const served = run('npm', ['view', `${manifest.name}@${manifest.version}`, 'version'], {
            cwd: scratch,
            env: registry.env,
          });
          assert.equal(served.trim(), manifest.version);
        },
        { group: 'registry' },
      );
    }

    const kit = ['@aem/app-kit', '@aem/core', '@aem/timers', '@aem/tcp', '@aem/udp', 'rxjs'];
    const esm = freshProject(scratch, 'esm-consumer', { type: 'module' });
    await check(
      'ESM project: npm install @aem/app-kit, the services and @aem/kmod from the registry',
      () => {
        npmInstall(esm, registry.env, [...kit, '@aem/kmod']);
        assertFromRegistry(esm, registry.url);
      },
      { group: 'esm' },
    );
    await check(
      'ESM project: the tiny app runs (timer fires, TCP and UDP echoes round-trip, kmod says why not)',
      () => {
        assertTinyApp(runTinyApp(esm, registry.env, 'tiny-app.mjs'), 'esm');
      },
      { group: 'esm' },
    );
    await check(
      'ESM project: @aem/kmod prebuilt binding loads; aem-kmod status says /dev/aem is missing',
      () => {
        const abi = run(process.execPath, ['-p', "require('@aem/kmod/binding').ABI_VERSION"], {
          cwd: esm,
          env,
        });
        assert.match(abi.trim(), /^\d+$/);
        const status = run('npx', ['--no-install', 'aem-kmod', 'status', '--json'], {
          cwd: esm,
          env: { ...registry.env, AEM_KMOD_DEVICE: join(scratch, 'no-such-aem-device') },
          allowFailure: true,
        });
        assert.equal(status.status, 1, `status exit code ${status.status}: ${status.stderr}`);
        const report = JSON.parse(status.stdout);
        assert.equal(report.binding.loaded, true, report.binding.error);
        assert.equal(report.device.exists, false);
        assert.match(report.device.error, /does not exist/);
      },
      { group: 'esm' },
    );
    await check(
      'ESM project: aem-kmod explains what is wrong (usage, headers, root, module list)',
      () => {
        const kmod = (args, extraEnv = {}) =>
          run('npx', ['--no-install', 'aem-kmod', ...args], {
            cwd: esm,
            env: { ...registry.env, ...extraEnv },
            allowFailure: true,
          });
        const usage = kmod(['bogus']);
        assert.equal(usage.status, 2);
        assert.match(usage.stderr, /unknown command 'bogus'[\s\S]*usage: aem-kmod/);
        const headers = kmod(['build', '--kver', '0.0.0-none']);
        assert.equal(headers.status, 1);
        assert.match(headers.stderr, /kernel headers for 0\.0\.0-none are not installed/);
        assert.match(headers.stderr, /apt-get install linux-headers-0\.0\.0-none/);
        if (process.getuid?.() === 0) {
          const asNobody = spawnSync(
            process.execPath,
            [join(esm, 'node_modules/@aem/kmod/bin/aem-kmod.cjs'), 'unload'],
            { env: registry.env, encoding: 'utf8', uid: 65534, gid: 65534, timeout: 30_000 },
          );
          // The node binary must be reachable by nobody (not under root's home): say so if not.
          assert.equal(
            asNobody.status,
            1,
            asNobody.stderr ?? `${process.execPath} as nobody: ${asNobody.error}`,
          );
          assert.match(asNobody.stderr, /must run as root .*sudo npx aem-kmod unload/);
        }
        // A module list where aem_core and aem_timers are loaded but the device node is missing.
        const modules = join(scratch, 'proc-modules');
        writeFileSync(
          modules,
          'aem_timers 16384 0 - Live 0x0\naem_core 40960 1 aem_timers, Live 0x0\next4 1 2 - Live 0x0\n',
        );
        const status = kmod(['status', '--json'], {
          AEM_KMOD_PROC_MODULES: modules,
          AEM_KMOD_DEVICE: join(scratch, 'no-device'),
        });
        assert.equal(status.status, 1);
        const report = JSON.parse(status.stdout);
        assert.deepEqual(
          report.modules.map((m) => [m.name, m.loaded, m.refcnt]),
          [
            ['aem_core', true, 1],
            ['aem_timers', true, 0],
            ['aem_tcp', false, null],
            ['aem_udp', false, null],
          ],
        );
        assert.match(report.device.error, /aem_core is loaded but .*no-device is missing/);
      },
      { group: 'esm' },
    );
    const kver = installedKernelHeaders();
    if (kver) {
      await check(
        `ESM project: aem-kmod build --kver ${kver} builds the modules from the installed package`,
        () => {
          run('npx', ['--no-install', 'aem-kmod', 'build', '--kver', kver], {
            cwd: esm,
            env: registry.env,
            timeout: 180_000,
          });
          for (const name of ['aem_core', 'aem_timers']) {
            const ko = readFileSync(
              join(esm, 'node_modules/@aem/kmod/src', `${name}.ko`),
              'latin1',
            );
            assert.match(
              ko,
              new RegExp(`vermagic=${kver.replace(/\./g, '\\.')} `),
              `${name}.ko vermagic`,
            );
          }
          // Built for another kernel than the running one (a container's host): load refuses
          // before insmod, naming both. Never run where they match: that would load for real.
          if (kver !== release() && process.getuid?.() === 0) {
            const load = run('npx', ['--no-install', 'aem-kmod', 'load'], {
              cwd: esm,
              env: registry.env,
              allowFailure: true,
            });
            assert.equal(load.status, 1, load.stderr);
            assert.ok(
              load.stderr.includes(`was built for kernel ${kver}, but ${release()} is running`),
              load.stderr,
            );
          }
        },
        { group: 'esm' },
      );
    } else {
      console.log('# no kernel headers in /lib/modules/*/build: aem-kmod build not exercised');
    }

    const cjs = freshProject(scratch, 'cjs-consumer', {});
    await check(
      'CommonJS project: npm install @aem/app-kit and the services (no @aem/kmod)',
      () => {
        npmInstall(cjs, registry.env, kit);
        assertFromRegistry(cjs, registry.url);
      },
      { group: 'cjs' },
    );
    await check(
      'CommonJS project: the tiny app runs (timer fires, TCP and UDP echoes round-trip, kmod says why not)',
      () => {
        assertTinyApp(runTinyApp(cjs, registry.env, 'tiny-app.cjs'), 'cjs');
      },
      { group: 'cjs' },
    );

    const nxWorkspace = freshProject(scratch, 'nx-workspace', {
      version: '0.0.0',
      workspaces: ['packages/*'],
    });
    await check(
      `fresh Nx ${NX_VERSION} workspace: npm install nx, @nx/devkit and @aem/app-kit`,
      () => {
        writeFileSync(
          join(nxWorkspace, 'nx.json'),
          JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2),
        );
        npmInstall(
          nxWorkspace,
          registry.env,
          [`nx@${NX_VERSION}`, `@nx/devkit@${NX_VERSION}`, '@aem/app-kit'],
          true,
        );
        assertFromRegistry(nxWorkspace, registry.url);
      },
      { group: 'nx' },
    );
    await check(
      'fresh Nx workspace: nx g @aem/app-kit:application demo',
      () => {
        run(
          'npx',
          ['--no-install', 'nx', 'g', '@aem/app-kit:application', 'demo', '--no-interactive'],
          {
            cwd: nxWorkspace,
            env: registry.env,
            timeout: INSTALL_TIMEOUT_MS,
          },
        );
        assert.ok(existsSync(join(nxWorkspace, 'apps/demo/src/main.ts')), 'apps/demo/src/main.ts');
        assert.ok(
          existsSync(join(nxWorkspace, 'node_modules/typescript')),
          'the generator installed TypeScript',
        );
      },
      { group: 'nx' },
    );
    await check(
      'fresh Nx workspace: the generated app builds (nx run @aem-apps/demo:build)',
      () => {
        run('npx', ['--no-install', 'nx', 'run', '@aem-apps/demo:build'], {
          cwd: nxWorkspace,
          env: registry.env,
        });
        assert.ok(
          existsSync(join(nxWorkspace, 'apps/demo/dist/main.js')),
          'apps/demo/dist/main.js',
        );
      },
      { group: 'nx' },
    );
    await check(
      'fresh Nx workspace: the generated app passes its test (nx run @aem-apps/demo:test)',
      () => {
        // The app's test script is `tsc … && jest`: arguments after `--` reach jest, whose
        // JSON report says how many tests ran (exit 0 alone would also fit zero tests).
        const report = join(scratch, 'demo-jest.json');
        run(
          'npx',
          [
            '--no-install',
            'nx',
            'run',
            '@aem-apps/demo:test',
            '--',
            '--json',
            `--outputFile=${report}`,
          ],
          { cwd: nxWorkspace, env: registry.env },
        );
        const jest = JSON.parse(readFileSync(report, 'utf8'));
        assert.equal(jest.numFailedTests, 0);
        // The handler spec (on @aem/app-kit/testing) and the two of loadConfig.
        assert.equal(jest.numPassedTests, 3, `${jest.numPassedTests} tests passed`);
      },
      { group: 'nx' },
    );
  } finally {
    if (registry) {
      await registry.stop();
      console.log('# verdaccio stopped');
    }
    if (process.env.AEM_E2E_KEEP === '1') console.log(`# kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }

  const failed = results.filter((r) => !r.ok);
  console.log(`1..${results.length}`);
  console.log(`# ${results.length - failed.length} passed, ${failed.length} failed`);
  const reportDir = process.env.AEM_TEST_REPORT_DIR;
  if (reportDir) {
    mkdirSync(reportDir, { recursive: true });
    writeFileSync(
      join(reportDir, 'e2e-publish.json'),
      JSON.stringify({
        project: 'e2e-publish',
        passed: results.length - failed.length,
        failed: failed.length,
        skipped: [],
        failures: failed.map((r) => r.name),
      }),
    );
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
