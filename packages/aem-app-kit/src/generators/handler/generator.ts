import { join } from 'node:path';
import { formatFiles, generateFiles, names, type Tree } from '@nx/devkit';
import type { HandlerGeneratorSchema } from './schema';

const PACKAGE_ROOT = join(__dirname, '..', '..', '..');
const IMPORTS_MARKER = '// aem:handler-imports';
const HANDLERS_MARKER = '// aem:handlers';

/**
 * The `handler` generator: adds a handler class (`src/<name>.handler.ts`, a periodic
 * `@OnTimer` handler with an injected logger) and its spec to an application made by the
 * `application` generator, and registers it in the app's `src/handlers.ts` at the
 * `aem:handler-imports` and `aem:handlers` markers.
 *
 * @example
 * ```sh
 * npx nx g @aem/app-kit:handler registrar --project=demo
 * ```
 * @param tree - the workspace tree.
 * @param schema - the options.
 * @throws when the application or its markers are missing, or the handler exists.
 */
export async function handlerGenerator(tree: Tree, schema: HandlerGeneratorSchema): Promise<void> {
  const { fileName, className } = names(schema.name);
  const projectRoot = `apps/${names(schema.project).fileName}`;
  const modulePath = `${projectRoot}/src/handlers.ts`;
  const source = tree.read(modulePath, 'utf-8');
  if (source === null) throw new Error(`${modulePath} not found: is ${projectRoot} an AEM app?`);
  if (!source.includes(IMPORTS_MARKER) || !source.includes(HANDLERS_MARKER))
    throw new Error(`${modulePath} lacks the ${IMPORTS_MARKER} and ${HANDLERS_MARKER} markers`);
  if (tree.exists(`${projectRoot}/src/${fileName}.handler.ts`))
    throw new Error(`${projectRoot}/src/${fileName}.handler.ts already exists`);
  generateFiles(tree, join(PACKAGE_ROOT, 'src/generators/handler/files'), projectRoot, {
    fileName,
    className,
    tmpl: '',
  });
  tree.write(
    modulePath,
    source
      .replace(
        IMPORTS_MARKER,
        `import { ${className}Handler } from './${fileName}.handler';\n${IMPORTS_MARKER}`,
      )
      .replace(
        new RegExp(`^(\\s*)${HANDLERS_MARKER}`, 'm'),
        `$1${className}Handler,\n$1${HANDLERS_MARKER}`,
      ),
  );
  await formatFiles(tree);
}

export default handlerGenerator;
