import { readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { applicationGenerator } from './generator';

describe('application generator', () => {
  let tree: Tree;
  // formatFiles looks for a formatter the empty test workspace does not have, and says so.
  beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    tree.write('packages/aem-app-kit/package.json', JSON.stringify({ version: '9.9.9' }));
  });

  it('creates the app: entry point, config, handler module, handler, spec, README', async () => {
    await applicationGenerator(tree, { name: 'sipProxy', port: 5060 });
    for (const file of [
      'package.json',
      'README.md',
      'tsconfig.json',
      'tsconfig.lib.json',
      'tsconfig.spec.json',
      'jest.config.cjs',
      'src/main.ts',
      'src/config.ts',
      'src/handlers.ts',
      'src/sip-proxy.handler.ts',
      'src/sip-proxy.handler.spec.ts',
    ])
      expect(tree.exists(`apps/sip-proxy/${file}`)).toBe(true);
    const manifest = JSON.parse(tree.read('apps/sip-proxy/package.json', 'utf-8') as string);
    expect(manifest).toMatchObject({
      name: '@aem-apps/sip-proxy',
      private: true,
      dependencies: { '@aem/app-kit': '9.9.9' },
    });
    expect(Object.keys(manifest.scripts)).toEqual(['build', 'serve', 'test', 'lint']);
    expect(tree.read('apps/sip-proxy/src/sip-proxy.handler.ts', 'utf-8')).toContain(
      'export class SipProxyHandler',
    );
    expect(tree.read('apps/sip-proxy/src/config.ts', 'utf-8')).toContain('?? 5060');
    expect(tree.read('apps/sip-proxy/src/handlers.ts', 'utf-8')).toMatch(
      /\/\/ aem:handler-imports[\s\S]*SipProxyHandler,\s*\/\/ aem:handlers/,
    );
  });

  it('is a project Nx sees, with build, serve and test targets from its scripts', async () => {
    await applicationGenerator(tree, { name: 'demo' });
    const manifest = JSON.parse(tree.read('apps/demo/package.json', 'utf-8') as string);
    expect(manifest.scripts.serve).toBe('node dist/main.js');
    // createTreeWithEmptyWorkspace has no package.json-project plugin; the path is what matters.
    expect(() => readProjectConfiguration(tree, '@aem-apps/demo')).toThrow();
  });

  it('refuses an existing folder', async () => {
    await applicationGenerator(tree, { name: 'demo' });
    await expect(applicationGenerator(tree, { name: 'demo' })).rejects.toThrow('already exists');
  });
});
