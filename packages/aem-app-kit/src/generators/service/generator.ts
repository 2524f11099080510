import { join } from 'node:path';
import { formatFiles, generateFiles, logger, names, type Tree } from '@nx/devkit';
import type { ServiceGeneratorSchema } from './schema';
import { wireWorkspace } from './workspace-wiring';

const PACKAGE_ROOT = join(__dirname, '..', '..', '..');

/**
 * The `service` generator: a new service package under `packages/aem-<name>`, shaped like
 * `@aem/tcp` and `@aem/udp` — `src/<name>-service.ts` (`create<Name>Service(options)` and the
 * default `<name>Service`: a topic channel whose `events` call is fed by `publish`),
 * `src/<name>-service-state.ts` (the per-runtime state the core hands back through the
 * binding), `src/<name>.ts` (the client, `<Name>.from(runtime)`, with callback, Observable and
 * Promise forms), `src/<name>-limits.ts` (every limit with its default), `src/errors/` (the
 * package's base error and a typed limit error), `src/index.ts`, a spec,
 * `bench/<name>.bench.mjs` (prints its `BENCH` line), a README whose example runs, a LICENSE,
 * and its own version (0.1.0) and build/test/lint scripts. Replace the channel with the
 * service's real activation source.
 *
 * In the AEM monorepo it also wires the package into the workspace (see {@link wireWorkspace}):
 * docs, release, README examples, the publish test, `bench:<name>`. Run `npm install` after it,
 * so the workspace links the new package for the others.
 *
 * @example
 * ```sh
 * npx nx g @aem/app-kit:service presence
 * npm install
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
    year: new Date().getFullYear(),
    tmpl: '',
  });
  const wired = wireWorkspace(tree, fileName);
  await formatFiles(tree);
  for (const line of wired) logger.info(`wired: ${line}`);
  logger.info(`next: npm install (links @aem/${fileName} into node_modules)`);
}

export default serviceGenerator;
