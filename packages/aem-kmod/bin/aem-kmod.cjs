#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only OR MIT
'use strict';
// aem-kmod: what a user of the installed package would otherwise type by hand — make against
// the right kernel tree, insmod/rmmod in dependency order, and a look at what is loaded.
//
//   aem-kmod build [--kver <version> | --kdir <dir>] [--binding]
//   aem-kmod load [<module>.<param>=<value> ...]
//   aem-kmod unload
//   aem-kmod status [--json]
//
// Plain CommonJS with no dependencies: it must run from a fresh `npm install` without a build.
// Exit status: 0 success (for `status`: /dev/aem is usable), 1 failure (the message says what
// to do), 2 a usage error.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.join(__dirname, '..');
const DEVICE = process.env.AEM_KMOD_DEVICE || '/dev/aem';
const PROC_MODULES = process.env.AEM_KMOD_PROC_MODULES || '/proc/modules';
const SYS_MODULE = process.env.AEM_KMOD_SYS_MODULE || '/sys/module';
/**
 * Load order: each module needs the ones before it (the services register with aem_core).
 * `optional` modules are loaded when they were built and skipped otherwise.
 */
const MODULES = [
  { name: 'aem_core', optional: false },
  { name: 'aem_timers', optional: false },
  { name: 'aem_tcp', optional: true },
  { name: 'aem_udp', optional: true },
];

const UNKNOWN_MODULES = `cannot tell which modules are loaded: neither ${PROC_MODULES} nor ${SYS_MODULE} is readable (a container?)`;

/** An error whose message is the whole story: printed without a stack. */
class CliError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const USAGE = `usage: aem-kmod <command> [options]

  build [--kver <version> | --kdir <dir>] [--binding]
        build the kernel modules and libaem in ${PACKAGE_DIR}
        against /lib/modules/<version>/build (default: the running kernel, ${os.release()});
        --binding also rebuilds the Node-API binding (build/aem.node) from this node's headers
  load [<module>.<param>=<value> ...]
        insmod ${MODULES.map((m) => m.name + (m.optional ? ' (if built)' : '')).join(', ')}, in that order
        (as root); falls back to modprobe for modules installed with DKMS
  unload
        rmmod them in the reverse order (as root)
  status [--json]
        which modules are loaded, whether ${DEVICE} exists and opens, its ABI version
        (exit 0 only when ${DEVICE} is usable)`;

function main(argv) {
  const [command, ...args] = argv;
  switch (command) {
    case 'build':
      return build(
        parseOptions(args, { '--kver': 'value', '--kdir': 'value', '--binding': 'flag' }),
      );
    case 'load':
      return load(args);
    case 'unload':
      parseOptions(args, {});
      return unload();
    case 'status':
      return status(parseOptions(args, { '--json': 'flag' }));
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new CliError(
        `${command ? `unknown command '${command}'` : 'no command given'}\n${USAGE}`,
        2,
      );
  }
}

function parseOptions(args, spec) {
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const kind = spec[args[i]];
    if (kind === 'flag') options[args[i].slice(2)] = true;
    else if (kind === 'value' && i + 1 < args.length) options[args[i].slice(2)] = args[++i];
    else if (kind === 'value') throw new CliError(`${args[i]} needs a value`, 2);
    else throw new CliError(`unknown option '${args[i]}'\n${USAGE}`, 2);
  }
  return options;
}

/* build */

function build(options) {
  if (options.kver && options.kdir) throw new CliError('give --kver or --kdir, not both', 2);
  const kver = options.kver || os.release();
  const kdir = path.resolve(options.kdir || `/lib/modules/${kver}/build`);
  if (!fs.existsSync(path.join(kdir, 'Makefile'))) {
    throw new CliError(
      `no kernel build tree at ${kdir} (kernel headers for ${kver} are not installed).\n` +
        `Install them (Debian/Ubuntu: apt-get install linux-headers-${kver}), ` +
        'or pass --kver <version> / --kdir <dir> for another kernel.',
    );
  }
  requireCommand('make', 'make (Debian: apt-get install make)');
  requireCommand('cc', 'a C compiler (Debian: apt-get install gcc)');
  ensureWritable(path.join(PACKAGE_DIR, 'src'));
  const targets = ['modules', 'lib', ...(options.binding ? ['binding'] : [])];
  console.log(`aem-kmod: building ${targets.join(', ')} against ${kdir}`);
  // Kbuild writes its objects next to the sources, hence the writable check above.
  const made = spawnSync('make', ['-C', PACKAGE_DIR, `KDIR=${kdir}`, ...targets], {
    stdio: 'inherit',
  });
  if (made.status !== 0) throw new CliError(`make ${targets.join(' ')} failed (see above)`);
  for (const m of MODULES) {
    const file = modulePath(m.name);
    if (fs.existsSync(file)) console.log(`aem-kmod: built ${file}`);
  }
  return 0;
}

function ensureWritable(dir) {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new CliError(
      `${dir} is not writable: Kbuild builds next to the sources. Run as the user who installed ` +
        'the package (or with sudo for a global install).',
    );
  }
}

/* load / unload */

function load(params) {
  for (const param of params) {
    if (!/^aem_[a-z_]+\.[a-z_]+=\S+$/.test(param))
      throw new CliError(`bad parameter '${param}': expected <module>.<param>=<value>`, 2);
  }
  requireRoot('load');
  // Unknown (no module list readable): insmod itself refuses a module that is already loaded.
  const loaded = loadedModules() ?? new Map();
  const built = MODULES.filter((m) => fs.existsSync(modulePath(m.name)));
  const useBuilt = built.some((m) => m.name === 'aem_core');
  if (!useBuilt && !installedModule('aem_core')) {
    throw new CliError(
      `the modules are not built (no ${modulePath('aem_core')}) and none is installed for ` +
        `${os.release()}: run 'aem-kmod build' first (or install them with DKMS: ` +
        `make -C ${PACKAGE_DIR} dkms-install).`,
    );
  }
  for (const m of MODULES) {
    if (loaded.has(m.name)) {
      console.log(`aem-kmod: ${m.name} is already loaded`);
      continue;
    }
    const args = params
      .filter((p) => p.startsWith(`${m.name}.`))
      .map((p) => p.slice(m.name.length + 1));
    if (useBuilt) {
      const file = modulePath(m.name);
      if (!fs.existsSync(file)) {
        if (m.optional) continue;
        throw new CliError(`${file} is missing: run 'aem-kmod build' again`);
      }
      checkVermagic(file);
      run('insmod', [file, ...args], `insmod ${m.name}`);
    } else {
      if (!installedModule(m.name)) {
        if (m.optional) continue;
        throw new CliError(`${m.name} is not installed for ${os.release()}`);
      }
      run('modprobe', [m.name, ...args], `modprobe ${m.name}`);
    }
    console.log(`aem-kmod: loaded ${m.name}`);
  }
  return 0;
}

function unload() {
  requireRoot('unload');
  const loaded = loadedModules();
  if (loaded === null) throw new CliError(UNKNOWN_MODULES);
  let any = false;
  for (const m of [...MODULES].reverse()) {
    if (!loaded.has(m.name)) continue;
    any = true;
    const { refcnt } = loaded.get(m.name);
    if (refcnt > 0 && m.name !== 'aem_core') {
      // A service module's references are its live events: rmmod would say only "in use".
      console.error(
        `aem-kmod: ${m.name} has ${refcnt} reference(s): a process still has events on it`,
      );
    }
    run('rmmod', [m.name], `rmmod ${m.name}`);
    console.log(`aem-kmod: unloaded ${m.name}`);
  }
  if (!any) console.log('aem-kmod: no AEM module is loaded');
  return 0;
}

/**
 * A module built for another kernel fails insmod with a bare "Invalid module format"; say which
 * kernel it was built for instead.
 */
function checkVermagic(file) {
  const match = /vermagic=([^\0 ]+)/.exec(fs.readFileSync(file, 'latin1'));
  if (match && match[1] !== os.release()) {
    throw new CliError(
      `${path.basename(file)} was built for kernel ${match[1]}, but ${os.release()} is running: ` +
        "run 'aem-kmod build' to rebuild it for this kernel.",
    );
  }
}

function installedModule(name) {
  const probe = spawnSync('modinfo', ['-F', 'filename', name], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() !== '';
}

/* status */

function status(options) {
  const loaded = loadedModules();
  const report = {
    kernel: os.release(),
    modules: MODULES.map((m) => ({
      name: m.name,
      /** `null`: the kernel's module list cannot be read here. */
      loaded: loaded === null ? null : loaded.has(m.name),
      refcnt: loaded?.get(m.name)?.refcnt ?? null,
      built: fs.existsSync(modulePath(m.name)),
    })),
    device: { path: DEVICE, exists: fs.existsSync(DEVICE), usable: false, error: null },
    binding: { loaded: false, error: null },
    abi: null,
  };
  let binding;
  try {
    binding = require('../binding');
    report.binding.loaded = true;
  } catch (error) {
    report.binding.error = error.message;
  }
  if (!report.device.exists) {
    report.device.error = loaded?.has('aem_core')
      ? `aem_core is loaded but ${DEVICE} is missing (no devtmpfs/udev?)`
      : `${DEVICE} does not exist: aem_core is not loaded ('aem-kmod load')`;
  } else if (binding) {
    try {
      const device = new binding.KmodDevice({ path: DEVICE, ringPages: 1, batch: 1 });
      try {
        report.abi = device.abi();
      } finally {
        device.close();
      }
      report.device.usable = true;
    } catch (error) {
      report.device.error = `${DEVICE} cannot be opened: ${error.message}`;
    }
  } else {
    try {
      fs.closeSync(fs.openSync(DEVICE, 'r'));
      report.device.error = `${DEVICE} opens, but the Node binding does not load, so the ABI is unknown`;
    } catch (error) {
      report.device.error = `${DEVICE} cannot be opened: ${error.message}`;
    }
  }

  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`kernel: ${report.kernel}`);
    for (const m of report.modules) {
      const state =
        m.loaded === null ? 'unknown' : m.loaded ? `loaded (refcnt ${m.refcnt})` : 'not loaded';
      console.log(`${m.name}: ${state}${m.built ? '' : ', not built in this package'}`);
    }
    console.log(`device: ${report.device.usable ? `${DEVICE} is usable` : report.device.error}`);
    console.log(
      `binding: ${report.binding.loaded ? 'loaded' : `not loadable (${report.binding.error})`}`,
    );
    if (report.abi) console.log(`ABI version: ${report.abi.abiVersion}`);
    if (loaded === null) console.log(`note: ${UNKNOWN_MODULES}`);
  }
  return report.device.usable ? 0 : 1;
}

/* helpers */

function modulePath(name) {
  return path.join(PACKAGE_DIR, 'src', `${name}.ko`);
}

/**
 * The loaded modules, from `/proc/modules` (`name size refcnt deps state address` per line), or
 * from `/sys/module/<name>/refcnt` where procfs hides the list (some containers). `null` when
 * neither can be read: then nobody here can tell, and `status` says so.
 */
function loadedModules() {
  const modules = new Map();
  let text;
  try {
    text = fs.readFileSync(PROC_MODULES, 'utf8');
  } catch {
    return loadedFromSysfs();
  }
  for (const line of text.split('\n')) {
    const [name, , refcnt, , state] = line.split(/\s+/);
    if (name) modules.set(name, { refcnt: Number(refcnt), state });
  }
  return modules;
}

function loadedFromSysfs() {
  if (!fs.existsSync(SYS_MODULE)) return null;
  const modules = new Map();
  for (const m of MODULES) {
    try {
      const refcnt = fs.readFileSync(path.join(SYS_MODULE, m.name, 'refcnt'), 'utf8');
      modules.set(m.name, { refcnt: Number(refcnt), state: 'Live' });
    } catch {
      // not loaded (or built in, which AEM never is)
    }
  }
  return modules;
}

function requireRoot(command) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CliError(
      `'aem-kmod ${command}' must run as root (loading kernel modules needs CAP_SYS_MODULE): ` +
        `sudo npx aem-kmod ${command}`,
    );
  }
}

function requireCommand(command, what) {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new CliError(`${command} not found: install ${what}`);
}

function run(command, args, what) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.error?.code === 'ENOENT') {
    throw new CliError(`${command} not found: install kmod (Debian: apt-get install kmod)`);
  }
  if (result.status !== 0) throw new CliError(`${what} failed (see above)`);
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    console.error(`aem-kmod: ${error.message}`);
    process.exitCode = error.exitCode;
  }
}

module.exports = { main, CliError };
