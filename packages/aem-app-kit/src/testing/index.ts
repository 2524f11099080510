/**
 * Test support for `@aem/app-kit`: an application started in-process on a virtual clock, and
 * clients that drive it over TCP (its replies framed as it frames them) and UDP.
 *
 * @packageDocumentation
 */

/* Applications under test */
export { TestApp, startTestApp } from './test-app';
export type { TestAppOptions } from './test-app';
export { TestClient } from './test-client';
export { TestDatagramClient } from './test-datagram-client';
