import { createAem } from '@aem/core';
import { TCP_SERVICE_NAME } from './index';

describe('@aem/tcp (placeholder)', () => {
  it('is not loaded into a runtime until the service lands', () => {
    const runtime = createAem({ backend: 'userspace' });
    expect(() => runtime.bind(TCP_SERVICE_NAME)).toThrow('service "tcp" is not loaded');
    runtime.close();
  });
});
