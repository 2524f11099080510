import { APP_KIT_TOKEN_PREFIX } from './index';

describe('@aem/app-kit (placeholder)', () => {
  it('namespaces its DI tokens', () => {
    expect(APP_KIT_TOKEN_PREFIX).toMatch(/^[a-z]+:$/);
  });
});
