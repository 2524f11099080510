import type { Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { addressOf, startAdminServer } from './admin-server';

describe('the admin server', () => {
  let server: Server;
  let base: string;
  const activations = (registry: Registry): Counter =>
    new Counter({ name: 'aem_activations_total', help: 'a', registers: [registry] });

  beforeAll(async () => {
    const registry = new Registry();
    activations(registry).inc(3);
    server = await startAdminServer(
      { port: 0 },
      registry,
      () => ({ status: 'running' }),
      'echo <1>',
    );
    base = `http://127.0.0.1:${addressOf(server).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the dashboard page at / with its title escaped and uPlot from the installed package', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>echo &#60;1&#62; · AEM</title>');
    expect(html).toContain('src="assets/uPlot.iife.min.js"');
    const script = await fetch(`${base}/assets/uPlot.iife.min.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('uPlot');
    expect((await fetch(`${base}/assets/uPlot.min.css`)).status).toBe(200);
  });

  it('streams the history first, then a sample a second, as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!/event: sample\ndata: (.*)\n\n/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    expect(text.startsWith('event: history\ndata: [')).toBe(true);
    const sample = JSON.parse(/event: sample\ndata: (.*)\n\n/.exec(text)![1]);
    expect(sample).toMatchObject({ activationsPerSec: expect.any(Number), sessions: 0 });
  });

  it('refuses other methods and unknown paths', async () => {
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
