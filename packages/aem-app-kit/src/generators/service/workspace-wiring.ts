import { updateJson, type Tree } from '@nx/devkit';

/** What was wired, one line each, for the generator to report. */
export type WiringReport = string[];

/** Adds `item` to a list of names, after `after` when it is there, else at the end. */
function insertName(list: string[], item: string, before?: string): string[] {
  if (list.includes(item)) return list;
  const at = before === undefined ? -1 : list.indexOf(before);
  return at < 0 ? [...list, item] : [...list.slice(0, at), item, ...list.slice(at)];
}

/**
 * Wires a new service package into the AEM monorepo's workspace-wide files, each only where the
 * workspace has it (another Nx workspace has none of them, and gets nothing):
 *
 * - `typedoc.json`: the package's entry point, so `npm run docs` documents it;
 * - `nx.json`: the package among `release.projects`, so `nx release` versions it;
 * - `tools/readme-examples/project.json`, `tools/e2e-publish/project.json`: an implicit
 *   dependency, so the README examples and the publish test run after it is built;
 * - `tools/check-packages.mjs`: the folder among the published `PACKAGES` (before `aem-app-kit`,
 *   which depends on services), so it is packed, checked and published by the e2e test;
 * - the root `package.json`: `bench:<name>`, and the package in `check:packages`' build.
 *
 * @param tree - the workspace tree.
 * @param fileName - the service's kebab-case name.
 * @returns what was wired.
 */
export function wireWorkspace(tree: Tree, fileName: string): WiringReport {
  const folder = `aem-${fileName}`;
  const project = `@aem/${fileName}`;
  const report: WiringReport = [];

  if (tree.exists('typedoc.json')) {
    updateJson(tree, 'typedoc.json', (json) => {
      if (Array.isArray(json.entryPoints))
        json.entryPoints = insertName(
          json.entryPoints,
          `packages/${folder}`,
          'packages/aem-app-kit',
        );
      return json;
    });
    report.push('typedoc.json: entry point');
  }
  if (tree.exists('nx.json')) {
    updateJson(tree, 'nx.json', (json) => {
      if (Array.isArray(json.release?.projects)) {
        json.release.projects = insertName(json.release.projects, project, '@aem/app-kit');
        report.push('nx.json: release project');
      }
      return json;
    });
  }
  for (const tool of ['readme-examples', 'e2e-publish']) {
    const path = `tools/${tool}/project.json`;
    if (!tree.exists(path)) continue;
    updateJson(tree, path, (json) => {
      json.implicitDependencies = insertName(
        json.implicitDependencies ?? [],
        project,
        '@aem/app-kit',
      );
      return json;
    });
    report.push(`${path}: implicit dependency`);
  }
  const checkPackages = 'tools/check-packages.mjs';
  const source = tree.read(checkPackages, 'utf-8');
  const list = source === null ? null : /export const PACKAGES = \[([^\]]*)\];/.exec(source);
  if (source !== null && list !== null) {
    const names = [...list[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const next = insertName(names, folder, 'aem-app-kit');
    tree.write(
      checkPackages,
      source.replace(list[0], `export const PACKAGES = [${next.map((n) => `'${n}'`).join(', ')}];`),
    );
    report.push(`${checkPackages}: published package`);
  }
  if (tree.exists('package.json')) {
    updateJson(tree, 'package.json', (json) => {
      const scripts = (json.scripts ??= {});
      scripts[`bench:${fileName}`] ??=
        `nx run ${project}:build && node packages/${folder}/bench/${fileName}.bench.mjs`;
      const check = /--projects=(\S+)/.exec(scripts['check:packages'] ?? '');
      if (check !== null) {
        const projects = insertName(check[1].split(','), project, '@aem/app-kit');
        scripts['check:packages'] = scripts['check:packages'].replace(
          check[0],
          `--projects=${projects.join(',')}`,
        );
      }
      return json;
    });
    report.push(`package.json: bench:${fileName}, check:packages`);
  }
  return report;
}
