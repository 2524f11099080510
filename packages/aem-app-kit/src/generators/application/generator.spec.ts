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
    // The AEM monorepo, as the generator recognises it, with independently versioned packages.
    tree.write('tools/build-package.mjs', '');
    tree.write('packages/aem-app-kit/package.json', JSON.stringify({ version: '9.9.9' }));
    tree.write('packages/aem-core/package.json', JSON.stringify({ version: '1.2.3' }));
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
      dependencies: { '@aem/app-kit': '9.9.9', '@aem/core': '1.2.3', rxjs: '7.8.2' },
    });
    expect(manifest.scripts.build).toBe('node ../../tools/build-package.mjs');
    expect(tree.read('apps/sip-proxy/jest.config.cjs', 'utf-8')).toContain('jest.preset.cjs');
    expect(tree.exists('apps/sip-proxy/tsconfig.base.json')).toBe(false);
    expect(Object.keys(manifest.scripts)).toEqual(['build', 'serve', 'test', 'lint']);
    expect(tree.read('apps/sip-proxy/src/sip-proxy.handler.ts', 'utf-8')).toContain(
      'export class SipProxyHandler',
    );
    expect(tree.read('apps/sip-proxy/src/config.ts', 'utf-8')).toContain('?? 5060');
    expect(tree.read('apps/sip-proxy/src/handlers.ts', 'utf-8')).toMatch(
      /\/\/ aem:handler-imports[\s\S]*SipProxyHandler,\s*\/\/ aem:handlers/,
    );
  });

  it('--transport udp: a datagram handler on @aem/udp, tested with a datagram client', async () => {
    tree.write('packages/aem-udp/package.json', JSON.stringify({ version: '4.5.6' }));
    await applicationGenerator(tree, { name: 'resolver', port: 5353, transport: 'udp' });
    const read = (file: string): string => tree.read(`apps/resolver/${file}`, 'utf-8') as string;
    const manifest = JSON.parse(read('package.json'));
    expect(manifest.dependencies).toMatchObject({ '@aem/udp': '4.5.6', '@aem/app-kit': '9.9.9' });
    expect(read('src/resolver.handler.ts')).toMatch(
      /@OnDatagram\(\)\s+answer\(\{ data, socket, peer \}: Datagram\)/,
    );
    expect(read('src/resolver.handler.ts')).not.toContain('@aem/tcp');
    expect(read('src/main.ts')).toContain('udp: { host: config.host, port: config.port }');
    expect(read('src/main.ts')).not.toContain('@aem/tcp');
    expect(read('src/handlers.ts')).not.toContain('initialState');
    expect(read('src/resolver.handler.spec.ts')).toContain('testApp.datagramClient()');
    expect(read('README.md')).toContain('a UDP\nservice on port 5353');
    // The TCP app is unchanged by the option's existence.
    await applicationGenerator(tree, { name: 'lines' });
    expect(tree.read('apps/lines/src/main.ts', 'utf-8')).toContain(
      "import { delimited } from '@aem/tcp';\nimport { loadConfig }",
    );
    expect(
      JSON.parse(tree.read('apps/lines/package.json', 'utf-8') as string).dependencies['@aem/udp'],
    ).toBeUndefined();
  });

  it('refuses a transport it does not know', async () => {
    await expect(
      applicationGenerator(tree, { name: 'x', transport: 'sctp' as 'udp' }),
    ).rejects.toThrow('--transport must be tcp or udp, got "sctp"');
  });

  it('is a project Nx sees, with build, serve and test targets from its scripts', async () => {
    await applicationGenerator(tree, { name: 'demo' });
    const manifest = JSON.parse(tree.read('apps/demo/package.json', 'utf-8') as string);
    expect(manifest.scripts.serve).toBe('node dist/main.js');
    // createTreeWithEmptyWorkspace has no package.json-project plugin; the path is what matters.
    expect(() => readProjectConfiguration(tree, '@aem-apps/demo')).toThrow();
  });

  describe('in another Nx workspace (@aem/app-kit installed from npm)', () => {
    beforeEach(() => {
      tree = createTreeWithEmptyWorkspace();
      tree.write('package.json', JSON.stringify({ name: 'acme', workspaces: ['packages/*'] }));
    });

    it('generates an app that carries its own build, jest and TypeScript configuration', async () => {
      const install = await applicationGenerator(tree, { name: 'demo' });
      const manifest = JSON.parse(tree.read('apps/demo/package.json', 'utf-8') as string);
      const kit = jest.requireActual('../../../package.json') as {
        version: string;
        peerDependencies: Record<string, string>;
      };
      expect(manifest.dependencies).toEqual({
        '@aem/app-kit': `^${kit.version}`,
        '@aem/core': kit.peerDependencies['@aem/core'],
        '@aem/tcp': kit.peerDependencies['@aem/tcp'],
        '@aem/timers': kit.peerDependencies['@aem/timers'],
        rxjs: kit.peerDependencies['rxjs'],
      });
      // No ESLint configuration here, so no lint target that could only fail.
      expect(manifest.scripts).toEqual({
        build: 'tsc -p tsconfig.lib.json',
        serve: 'node dist/main.js',
        test: 'tsc -p tsconfig.spec.json --noEmit && jest',
      });
      for (const file of ['tsconfig.json', 'tsconfig.lib.json', 'tsconfig.spec.json']) {
        expect(tree.read(`apps/demo/${file}`, 'utf-8')).toContain('"./tsconfig.base.json"');
      }
      expect(tree.read('apps/demo/tsconfig.base.json', 'utf-8')).toContain(
        '"experimentalDecorators": true',
      );
      const jestConfig = tree.read('apps/demo/jest.config.cjs', 'utf-8') as string;
      expect(jestConfig).not.toContain('tools/');
      expect(jestConfig).toContain("'^.+\\\\.ts$': ['ts-jest'");
      expect(tree.read('apps/demo/README.md', 'utf-8')).not.toContain('../../packages');

      const root = JSON.parse(tree.read('package.json', 'utf-8') as string);
      expect(root.workspaces).toEqual(['packages/*', 'apps/*']);
      expect(Object.keys(root.devDependencies)).toEqual(
        expect.arrayContaining(['typescript', 'jest', 'ts-jest', '@types/jest', '@types/node']),
      );
      expect(install).toBeInstanceOf(Function);
    });

    it('keeps the tool versions a workspace already has and adds lint where ESLint is set up', async () => {
      tree.write(
        'package.json',
        JSON.stringify({ name: 'acme', devDependencies: { typescript: '5.8.0' } }),
      );
      tree.write('eslint.config.mjs', 'export default [];');
      await applicationGenerator(tree, { name: 'demo' });
      const root = JSON.parse(tree.read('package.json', 'utf-8') as string);
      expect(root.devDependencies.typescript).toBe('5.8.0');
      expect(root.workspaces).toEqual(['apps/*']);
      const manifest = JSON.parse(tree.read('apps/demo/package.json', 'utf-8') as string);
      expect(manifest.scripts.lint).toBe('eslint src');
    });
  });

  it('refuses an existing folder', async () => {
    await applicationGenerator(tree, { name: 'demo' });
    await expect(applicationGenerator(tree, { name: 'demo' })).rejects.toThrow('already exists');
  });
});
