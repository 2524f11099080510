import { writeJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { serviceGenerator } from './generator';

describe('service generator', () => {
  let tree: Tree;
  // formatFiles looks for a formatter the empty test workspace does not have, and says so; the
  // generator reports what it wired on the console.
  beforeAll(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => (tree = createTreeWithEmptyWorkspace()));

  const read = (path: string): string => tree.read(path, 'utf-8') as string;

  it('creates a package shaped like @aem/tcp and @aem/udp', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'tsconfig.json',
      'tsconfig.lib.json',
      'tsconfig.spec.json',
      'jest.config.cjs',
      'src/index.ts',
      'src/presence-service.ts',
      'src/presence-service-state.ts',
      'src/presence-limits.ts',
      'src/presence.ts',
      'src/presence.spec.ts',
      'src/errors/presence.error.ts',
      'src/errors/topic-limit.error.ts',
      'bench/presence.bench.mjs',
    ])
      expect(tree.exists(`packages/aem-presence/${file}`)).toBe(true);
    const manifest = JSON.parse(read('packages/aem-presence/package.json'));
    expect(manifest).toMatchObject({
      name: '@aem/presence',
      version: '0.1.0',
      type: 'commonjs',
      peerDependencies: { '@aem/core': '^0.1.0', rxjs: '^7.8.0' },
      engines: { node: '>=24' },
    });
    expect(manifest.exports['.'].require.types).toBe('./dist/index.d.ts');
    // What check:packages requires of every published package.
    expect(manifest.files).toEqual(expect.arrayContaining(['LICENSE', '!dist/**/*.map']));
    // The specs run on the sources (no build inside `test`: `nx run-many -t test,build` runs
    // both at once, and a test that rebuilt dist/ would race the build); lint checks cycles.
    expect(manifest.scripts.test).toBe('tsc -p tsconfig.spec.json --noEmit && jest');
    expect(manifest.scripts.lint).toContain('check-cycles.mjs');
    expect(read('packages/aem-presence/LICENSE')).toContain(`(c) ${new Date().getFullYear()}`);
    const service = read('packages/aem-presence/src/presence-service.ts');
    expect(service).toContain("export const PRESENCE_SERVICE_NAME = 'presence';");
    expect(service).toContain("export const PRESENCE_SERVICE_VERSION = '1.0.0';");
    expect(service).toContain('export function createPresenceService(');
    expect(service).toContain('export const presenceService: PresenceServiceDefinition');
    expect(read('packages/aem-presence/src/index.ts')).toContain(
      "export { Presence } from './presence';",
    );
  });

  it('generates a service on the core’s service interface: no registry of its own', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    const service = read('packages/aem-presence/src/presence-service.ts');
    const client = read('packages/aem-presence/src/presence.ts');
    // The state comes back through the binding; no module-level WeakMap, no host.runtime.
    expect(service).not.toMatch(/WeakMap|host\.runtime/);
    expect(service).toContain('setup: (host) => new PresenceServiceState(host.id, limits)');
    expect(client).toContain('static from(runtime: Aem, range = ');
    expect(client).toContain('binding.state');
    expect(client).toContain('instanceof PresenceServiceState');
  });

  it('writes a README whose example is a whole module that settles and closes its runtime', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    const readme = read('packages/aem-presence/README.md');
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toMatch(/^import .* from '@aem\/presence';$/m);
    // The promise is taken before the publish it waits for, and the runtime is closed.
    expect(example.indexOf("client.next('alarms')")).toBeLessThan(example.indexOf('publish'));
    expect(example.trimEnd().endsWith('runtime.close();')).toBe(true);
  });

  it('wires the package into the AEM workspace files it finds', async () => {
    writeJson(tree, 'typedoc.json', { entryPoints: ['packages/aem-core', 'packages/aem-app-kit'] });
    writeJson(tree, 'nx.json', {
      release: { projects: ['@aem/core', '@aem/app-kit', '@aem/kmod'] },
    });
    writeJson(tree, 'tools/readme-examples/project.json', {
      implicitDependencies: ['@aem/core', '@aem/app-kit'],
    });
    writeJson(tree, 'tools/e2e-publish/project.json', { implicitDependencies: ['@aem/core'] });
    tree.write(
      'tools/check-packages.mjs',
      "// packs\nexport const PACKAGES = ['aem-kmod', 'aem-core', 'aem-app-kit'];\n",
    );
    writeJson(tree, 'package.json', {
      name: 'workspace',
      scripts: {
        'check:packages':
          'nx run-many -t build --projects=@aem/core,@aem/app-kit && node tools/check-packages.mjs',
      },
    });
    await serviceGenerator(tree, { name: 'presence' });
    expect(JSON.parse(read('typedoc.json')).entryPoints).toEqual([
      'packages/aem-core',
      'packages/aem-presence',
      'packages/aem-app-kit',
    ]);
    expect(JSON.parse(read('nx.json')).release.projects).toEqual([
      '@aem/core',
      '@aem/presence',
      '@aem/app-kit',
      '@aem/kmod',
    ]);
    expect(JSON.parse(read('tools/readme-examples/project.json')).implicitDependencies).toEqual([
      '@aem/core',
      '@aem/presence',
      '@aem/app-kit',
    ]);
    expect(JSON.parse(read('tools/e2e-publish/project.json')).implicitDependencies).toEqual([
      '@aem/core',
      '@aem/presence',
    ]);
    expect(read('tools/check-packages.mjs')).toContain(
      "export const PACKAGES = ['aem-kmod', 'aem-core', 'aem-presence', 'aem-app-kit'];",
    );
    const { scripts } = JSON.parse(read('package.json'));
    expect(scripts['bench:presence']).toBe(
      'nx run @aem/presence:build && node packages/aem-presence/bench/presence.bench.mjs',
    );
    expect(scripts['check:packages']).toContain('--projects=@aem/core,@aem/presence,@aem/app-kit');
  });

  it('leaves a workspace without those files alone', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    expect(tree.exists('typedoc.json')).toBe(false);
    expect(tree.exists('tools/check-packages.mjs')).toBe(false);
    const { scripts } = JSON.parse(read('package.json'));
    expect(scripts?.['bench:presence']).toBe(
      'nx run @aem/presence:build && node packages/aem-presence/bench/presence.bench.mjs',
    );
  });

  it('refuses an existing package', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    await expect(serviceGenerator(tree, { name: 'presence' })).rejects.toThrow('already exists');
  });
});
