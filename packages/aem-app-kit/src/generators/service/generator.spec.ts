import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { serviceGenerator } from './generator';

describe('service generator', () => {
  let tree: Tree;
  // formatFiles looks for a formatter the empty test workspace does not have, and says so.
  beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => (tree = createTreeWithEmptyWorkspace()));

  it('creates a package shaped like @aem/timers', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    for (const file of [
      'package.json',
      'README.md',
      'tsconfig.json',
      'tsconfig.lib.json',
      'tsconfig.spec.json',
      'jest.config.cjs',
      'src/index.ts',
      'src/presence-service.ts',
      'src/presence.ts',
      'src/presence.spec.ts',
      'bench/presence.bench.mjs',
    ])
      expect(tree.exists(`packages/aem-presence/${file}`)).toBe(true);
    const manifest = JSON.parse(tree.read('packages/aem-presence/package.json', 'utf-8') as string);
    expect(manifest).toMatchObject({
      name: '@aem/presence',
      version: '0.1.0',
      peerDependencies: { '@aem/core': '^0.1.0', rxjs: '^7.8.0' },
    });
    expect(manifest.exports['.'].require.types).toBe('./dist/index.d.ts');
    const service = tree.read('packages/aem-presence/src/presence-service.ts', 'utf-8') as string;
    expect(service).toContain("export const PRESENCE_SERVICE_NAME = 'presence';");
    expect(service).toContain('export const presenceService: PresenceServiceDefinition');
    expect(tree.read('packages/aem-presence/src/index.ts', 'utf-8')).toContain(
      "export { Presence } from './presence';",
    );
  });

  it('generates a service on the core’s service interface: no registry of its own', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    const service = tree.read('packages/aem-presence/src/presence-service.ts', 'utf-8') as string;
    const client = tree.read('packages/aem-presence/src/presence.ts', 'utf-8') as string;
    // The state comes back through the binding; no module-level WeakMap, no host.runtime.
    expect(service).not.toMatch(/WeakMap|host\.runtime/);
    expect(client).toContain('this.binding.state.subscribers');
  });

  it('refuses an existing package', async () => {
    await serviceGenerator(tree, { name: 'presence' });
    await expect(serviceGenerator(tree, { name: 'presence' })).rejects.toThrow('already exists');
  });
});
