import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addDependenciesToPackageJson,
  formatFiles,
  generateFiles,
  installPackagesTask,
  names,
  updateJson,
  writeJson,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import type { ApplicationGeneratorSchema } from './schema';

/** What the templates receive. */
interface NormalizedOptions {
  readonly name: string;
  readonly fileName: string;
  readonly className: string;
  readonly projectRoot: string;
  readonly port: number;
  /** `tcp`: connections and lines (`@OnConnection`, `@OnMessage`); `udp`: datagrams (`@OnDatagram`). */
  readonly transport: 'tcp' | 'udp';
  /**
   * Generating inside the AEM monorepo itself (it has `tools/build-package.mjs`): the app uses
   * the workspace's build script, jest preset (whose reporter feeds `npm test`'s summary) and
   * `tsconfig.base.json`, and depends on the exact versions of the packages beside it.
   * Anywhere else the app carries its own configuration and depends on the published packages.
   */
  readonly aemWorkspace: boolean;
  /** `extends` of the app's tsconfig files. */
  readonly baseConfig: string;
  readonly tmpl: '';
}

/** The package's folder, from `src/…` (tests) or `dist/…` (built) alike. */
const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

/**
 * Tools the generated app's scripts run, added to a workspace that lacks them (the versions
 * this kit is built and tested with).
 */
const TOOL_VERSIONS: Readonly<Record<string, string>> = {
  typescript: '5.9.3',
  jest: '30.5.2',
  'ts-jest': '29.4.15',
  '@types/jest': '30.0.0',
  '@types/node': '24.19.4',
};

/**
 * The `application` generator: a new telecom application under `apps/<name>` — `src/main.ts`
 * (the process entry: `runApp` with graceful stop and `SIGHUP` hot upgrade), `src/config.ts`,
 * `src/handlers.ts` (the hot-upgradable handler module), a handler class with its spec,
 * `README.md`, and `build`/`serve`/`test`/`lint` targets (package.json scripts, which Nx infers).
 * The app serves line-based TCP (`--transport tcp`, the default) or datagrams on `@aem/udp`
 * (`--transport udp`).
 * What it generates builds and passes its tests at once, in the AEM monorepo or in any Nx
 * workspace where `@aem/app-kit` is installed: there it also adds `apps/*` to the npm
 * workspaces, the tools the scripts need (TypeScript, jest) to the root devDependencies, and
 * runs `npm install`. `lint` is generated where the workspace has an ESLint configuration.
 *
 * @example
 * ```sh
 * npx nx g @aem/app-kit:application demo
 * npx nx g @aem/app-kit:application resolver --transport udp --port 5353
 * npx nx run @aem-apps/demo:serve
 * ```
 * @param tree - the workspace tree.
 * @param schema - the options.
 * @returns the task that installs what was added to package.json files, if anything was.
 */
export async function applicationGenerator(
  tree: Tree,
  schema: ApplicationGeneratorSchema,
): Promise<GeneratorCallback | undefined> {
  const options = normalizeOptions(tree, schema);
  generateFiles(tree, join(PACKAGE_ROOT, 'src/generators/application/files'), options.projectRoot, {
    ...options,
  });
  writeJson(tree, `${options.projectRoot}/package.json`, manifest(tree, options));
  let install: GeneratorCallback | undefined;
  if (!options.aemWorkspace) {
    generateFiles(
      tree,
      join(PACKAGE_ROOT, 'src/generators/application/files-standalone'),
      options.projectRoot,
      { ...options },
    );
    addWorkspacePattern(tree);
    addDependenciesToPackageJson(tree, {}, TOOL_VERSIONS, 'package.json', true);
    install = () => installPackagesTask(tree, true);
  }
  await formatFiles(tree);
  return install;
}

function normalizeOptions(tree: Tree, schema: ApplicationGeneratorSchema): NormalizedOptions {
  const { fileName, className } = names(schema.name);
  const projectRoot = `apps/${fileName}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  const aemWorkspace = tree.exists('tools/build-package.mjs');
  const transport = schema.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp')
    throw new Error(`--transport must be tcp or udp, got ${JSON.stringify(transport)}`);
  return {
    name: schema.name,
    fileName,
    className,
    projectRoot,
    port: schema.port ?? 7000,
    transport,
    aemWorkspace,
    baseConfig: aemWorkspace ? '../../tsconfig.base.json' : './tsconfig.base.json',
    tmpl: '',
  };
}

interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly peerDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly workspaces?: string[] | { packages?: string[] };
}

/** The app's package.json: its scripts are the Nx targets (Nx infers them). */
function manifest(tree: Tree, options: NormalizedOptions): object {
  const kit = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Manifest;
  const peers = kit.peerDependencies ?? {};
  // In the monorepo: exact versions of the packages beside the app, which are versioned
  // independently (one may be at 0.3.1 while another is at 0.1.0). Elsewhere: this kit's
  // version and the ranges of @aem/* it was built against.
  const sibling = (folder: string, range: string | undefined): string => {
    if (!options.aemWorkspace) return range ?? '*';
    const path = `packages/${folder}/package.json`;
    const version = tree.exists(path)
      ? (JSON.parse(tree.read(path, 'utf-8') as string) as Manifest).version
      : undefined;
    return version ?? range ?? '*';
  };
  const lint = options.aemWorkspace || hasEslintConfig(tree);
  return {
    name: `@aem-apps/${options.fileName}`,
    version: '0.0.0',
    private: true,
    description: `${options.className}: a telecom application on @aem/app-kit.`,
    main: './dist/main.js',
    scripts: {
      // The monorepo's build script is tsc plus ES-module faces for packages' `exports`; an app
      // has none, so plain tsc is the same build anywhere else.
      build: options.aemWorkspace
        ? 'node ../../tools/build-package.mjs'
        : 'tsc -p tsconfig.lib.json',
      serve: 'node dist/main.js',
      test: 'tsc -p tsconfig.spec.json --noEmit && jest',
      ...(lint ? { lint: 'eslint src' } : {}),
    },
    dependencies: {
      '@aem/app-kit': options.aemWorkspace
        ? sibling('aem-app-kit', kit.version)
        : `^${kit.version}`,
      '@aem/core': sibling('aem-core', peers['@aem/core']),
      // The kit needs @aem/tcp either way (a peer); @aem/udp only for a UDP app (an optional one).
      '@aem/tcp': sibling('aem-tcp', peers['@aem/tcp']),
      '@aem/timers': sibling('aem-timers', peers['@aem/timers']),
      ...(options.transport === 'udp' ? { '@aem/udp': sibling('aem-udp', peers['@aem/udp']) } : {}),
      rxjs: (options.aemWorkspace ? kit.devDependencies?.['rxjs'] : peers['rxjs']) ?? '^7.8.0',
    },
  };
}

function hasEslintConfig(tree: Tree): boolean {
  return ['eslint.config.mjs', 'eslint.config.js', 'eslint.config.cjs', '.eslintrc.json'].some(
    (file) => tree.exists(file),
  );
}

/** npm discovers workspace members (and Nx its projects) from the root's `workspaces`. */
function addWorkspacePattern(tree: Tree): void {
  if (!tree.exists('package.json')) return;
  updateJson(tree, 'package.json', (root: Manifest & Record<string, unknown>) => {
    const patterns = Array.isArray(root.workspaces) ? root.workspaces : root.workspaces?.packages;
    if (patterns === undefined) return { ...root, workspaces: ['apps/*'] };
    if (!patterns.some((p) => p === 'apps/*' || p === 'apps/**')) patterns.push('apps/*');
    return root;
  });
}

export default applicationGenerator;
