import * as kit from './index';

describe('@aem/app-kit entry point', () => {
  it('namespaces its DI tokens', () => {
    expect(kit.APP_KIT_TOKEN_PREFIX).toBe('aem:');
    expect(kit.RUNTIME.description).toBe('aem:runtime');
  });

  it('exports the application, decorators, state machines and errors', () => {
    for (const name of [
      'createApp',
      'runApp',
      'AemApp',
      'Handler',
      'OnMessage',
      'OnConnection',
      'OnClose',
      'OnTimer',
      'Inject',
      'Injectable',
      'StateMachine',
      'RestartBudget',
      'defineHandlerModule',
      'loadHandlerModule',
      'runCli',
      'AppKitError',
      'CapsulePool',
      'capsuleTask',
      'CapsuleTaskFailedError',
    ])
      expect(typeof (kit as Record<string, unknown>)[name]).toBe('function');
  });
});
