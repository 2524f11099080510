import { Counter, Gauge, Registry } from 'prom-client';
import { DASHBOARD_HISTORY, DashboardSampler } from './dashboard-sampler';

describe('DashboardSampler', () => {
  function registryWith(): { registry: Registry; activations: Counter; sessions: Gauge<string> } {
    const registry = new Registry();
    const registers = [registry];
    const activations = new Counter({ name: 'aem_activations_total', help: 'a', registers });
    const sessions = new Gauge({
      name: 'aem_handler_version_sessions',
      help: 's',
      labelNames: ['version', 'status'],
      registers,
    });
    new Gauge({ name: 'aem_pending_timers', help: 't', registers }).set(7);
    return { registry, activations, sessions };
  }

  it('turns counters into rates between samples and sums the session gauges over versions', async () => {
    const { registry, activations, sessions } = registryWith();
    const sampler = new DashboardSampler(registry);
    activations.inc(100);
    sessions.set({ version: '1', status: 'draining' }, 3);
    sessions.set({ version: '2', status: 'current' }, 5);
    const first = await sampler.sample(1000);
    expect(first).toMatchObject({ t: 1000, activationsPerSec: 0, sessions: 8, pendingTimers: 7 });
    expect(first.versions).toBe('1 draining, 2 current');
    activations.inc(500);
    const second = await sampler.sample(1002);
    expect(second.activationsPerSec).toBe(250);
    expect(sampler.history).toEqual([first, second]);
  });

  it(`keeps the last ${DASHBOARD_HISTORY} samples, oldest first`, async () => {
    const sampler = new DashboardSampler(registryWith().registry);
    for (let t = 0; t < DASHBOARD_HISTORY + 5; t++) await sampler.sample(t);
    expect(sampler.history).toHaveLength(DASHBOARD_HISTORY);
    expect(sampler.history[0].t).toBe(5);
  });
});
