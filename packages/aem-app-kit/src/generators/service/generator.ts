import { join } from 'node:path';
import { formatFiles, generateFiles, names, type Tree } from '@nx/devkit';
import type { ServiceGeneratorSchema } from './schema';

const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

/**
 * The `service` generator: a new service package under `packages/aem-<name>`, shaped like
 * `@aem/timers` — `src/<name>-service.ts` (the `defineService` definition: a topic channel whose
 * `events` call is fed by `publish`), `src/<name>.ts` (the client: callback, Observable and
 * Promise forms), `src/index.ts`, a spec, `bench/<name>.bench.mjs` (a stub that prints its
 * `BENCH` line), a README, and its own version (0.1.0) and build/test/lint scripts. Replace
 * the channel with the service's real activation source.
 *
 * @example
 * ```sh
 * npx nx g @aem/app-kit:service presence
 * ```
 * @param tree - the workspace tree.
 * @param schema - the options.
 * @throws when the package folder exists.
 */
export async function serviceGenerator(tree: Tree, schema: ServiceGeneratorSchema): Promise<void> {
  const { fileName, className, propertyName, constantName } = names(schema.name);
  const projectRoot = `packages/aem-${fileName}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  generateFiles(tree, join(PACKAGE_ROOT, 'src/generators/service/files'), projectRoot, {
    fileName,
    className,
    propertyName,
    constantName,
    tmpl: '',
  });
  await formatFiles(tree);
}

export default serviceGenerator;
