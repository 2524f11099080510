import { join } from 'node:path';
import { formatFiles, generateFiles, names, type Tree } from '@nx/devkit';
import type { ApplicationGeneratorSchema } from './schema';

/** What the templates receive. */
interface NormalizedOptions {
  readonly name: string;
  readonly fileName: string;
  readonly className: string;
  readonly projectRoot: string;
  readonly port: number;
  readonly kitVersion: string;
  readonly tmpl: '';
}

/** The package's folder, from `src/…` (tests) or `dist/…` (built) alike. */
const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

/**
 * The `application` generator: a new telecom application under `apps/<name>` — `src/main.ts`
 * (the process entry: `runApp` with graceful stop and `SIGHUP` hot upgrade), `src/config.ts`,
 * `src/handlers.ts` (the hot-upgradable handler module), a handler class with its spec,
 * `README.md`, and `build`/`serve`/`test`/`lint` targets (package.json scripts, which Nx infers).
 * What it generates builds, lints and passes its tests at once.
 *
 * @example
 * ```sh
 * npx nx g @aem/app-kit:application demo
 * npx nx run @aem-apps/demo:serve
 * ```
 * @param tree - the workspace tree.
 * @param schema - the options.
 */
export async function applicationGenerator(
  tree: Tree,
  schema: ApplicationGeneratorSchema,
): Promise<void> {
  const options = normalizeOptions(tree, schema);
  generateFiles(tree, join(PACKAGE_ROOT, 'src/generators/application/files'), options.projectRoot, {
    ...options,
  });
  await formatFiles(tree);
}

function normalizeOptions(tree: Tree, schema: ApplicationGeneratorSchema): NormalizedOptions {
  const { fileName, className } = names(schema.name);
  const projectRoot = `apps/${fileName}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  const kit = JSON.parse(tree.read('packages/aem-app-kit/package.json', 'utf-8') ?? '{}') as {
    version?: string;
  };
  return {
    name: schema.name,
    fileName,
    className,
    projectRoot,
    port: schema.port ?? 7000,
    kitVersion: kit.version ?? '0.1.0',
    tmpl: '',
  };
}

export default applicationGenerator;
