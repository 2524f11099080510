import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { applicationGenerator } from '../application/generator';
import { handlerGenerator } from './generator';

describe('handler generator', () => {
  let tree: Tree;
  // formatFiles looks for a formatter the empty test workspace does not have, and says so.
  beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await applicationGenerator(tree, { name: 'demo' });
  });

  it('adds the class and its spec, and registers it in the handler module', async () => {
    await handlerGenerator(tree, { name: 'registrar', project: 'demo' });
    expect(tree.read('apps/demo/src/registrar.handler.ts', 'utf-8')).toContain(
      'export class RegistrarHandler',
    );
    expect(tree.exists('apps/demo/src/registrar.handler.spec.ts')).toBe(true);
    const module = tree.read('apps/demo/src/handlers.ts', 'utf-8') as string;
    expect(module).toContain("import { RegistrarHandler } from './registrar.handler';");
    expect(module).toMatch(/DemoHandler,\s*RegistrarHandler,\s*\/\/ aem:handlers/);
  });

  it('adds a second one after the first', async () => {
    await handlerGenerator(tree, { name: 'registrar', project: 'demo' });
    await handlerGenerator(tree, { name: 'billing', project: 'demo' });
    expect(tree.read('apps/demo/src/handlers.ts', 'utf-8')).toMatch(
      /DemoHandler,\s*RegistrarHandler,\s*BillingHandler,\s*\/\/ aem:handlers/,
    );
  });

  it('refuses a missing app and an existing handler', async () => {
    await expect(handlerGenerator(tree, { name: 'x', project: 'nope' })).rejects.toThrow(
      'apps/nope/src/handlers.ts not found',
    );
    await handlerGenerator(tree, { name: 'registrar', project: 'demo' });
    await expect(handlerGenerator(tree, { name: 'registrar', project: 'demo' })).rejects.toThrow(
      'already exists',
    );
  });
});
