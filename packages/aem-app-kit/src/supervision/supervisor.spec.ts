import fc from 'fast-check';
import { SupervisorShutdownError } from '../errors/supervisor-shutdown.error';
import { Supervisor, type ChildRestart, type ChildSpec, type RestartStrategy } from './supervisor';

/** Children that log their starts and stops and can be crashed from the test. */
function family(ids: readonly string[], restart: ChildRestart = 'permanent') {
  const log: string[] = [];
  const exits = new Map<string, (reason?: unknown) => void>();
  const specs: ChildSpec[] = ids.map((id) => ({
    id,
    restart,
    start: (exit) => {
      log.push(`start ${id}`);
      exits.set(id, exit);
      return { stop: () => void log.push(`stop ${id}`) };
    },
  }));
  const crash = async (id: string, reason: unknown = new Error(`${id} crashed`)) => {
    exits.get(id)!(reason);
    await settle();
  };
  return { log, specs, crash };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('Supervisor', () => {
  let time = 0;
  const now = () => time;
  beforeEach(() => (time = 0));

  describe('restart strategies (OTP supervisor principles)', () => {
    const cases: [RestartStrategy, string[]][] = [
      ['one_for_one', ['start b']],
      ['one_for_all', ['stop c', 'stop a', 'start a', 'start b', 'start c']],
      ['rest_for_one', ['stop c', 'start b', 'start c']],
    ];
    it.each(cases)('%s: b crashes → %j', async (strategy, expected) => {
      const { log, specs, crash } = family(['a', 'b', 'c']);
      const supervisor = new Supervisor(specs, { strategy, now });
      await supervisor.start();
      expect(log.splice(0)).toEqual(['start a', 'start b', 'start c']);
      await crash('b');
      expect(log).toEqual(expected);
      expect(supervisor.children.every((child) => child.running)).toBe(true);
    });
  });

  describe('restart types', () => {
    it('permanent: restarted even after a normal exit', async () => {
      const { log, specs, crash } = family(['a'], 'permanent');
      await new Supervisor(specs, { now }).start();
      await crash('a', 'normal');
      expect(log).toEqual(['start a', 'start a']);
    });

    it('transient: restarted after a crash only', async () => {
      const { log, specs, crash } = family(['a'], 'transient');
      await new Supervisor(specs, { now }).start();
      await crash('a');
      await crash('a', 'normal');
      expect(log).toEqual(['start a', 'start a']);
    });

    it('temporary: never restarted', async () => {
      const { log, specs, crash } = family(['a'], 'temporary');
      const supervisor = new Supervisor(specs, { now });
      await supervisor.start();
      await crash('a');
      expect(log).toEqual(['start a']);
      expect(supervisor.children).toEqual([{ id: 'a', running: false }]);
    });
  });

  // OTP: "If more than MaxR restarts occur within MaxT seconds, the supervisor terminates all
  // the child processes and then itself." (defaults intensity 1, period 5 s)
  describe('restart intensity', () => {
    it('intensity 1 in 5 s: a second crash within 5 s shuts everything down', async () => {
      const { log, specs, crash } = family(['a', 'b']);
      const supervisor = new Supervisor(specs, { name: 'top', intensity: 1, periodMs: 5_000, now });
      await supervisor.start();
      await crash('a');
      time = 4_999;
      await crash('a');
      expect(log).toEqual(['start a', 'start b', 'start a', 'stop b']); // a crashed: nothing to stop
      const error = await supervisor.terminated;
      expect(error).toBeInstanceOf(SupervisorShutdownError);
      expect(error).toMatchObject({
        code: 'AEM_APP_SUPERVISOR_SHUTDOWN',
        supervisor: 'top',
        childId: 'a',
        restarts: 2,
        intensity: 1,
        periodMs: 5_000,
      });
    });

    it('intensity 1 in 5 s: crashes 5 s apart are restarted for ever', async () => {
      const { specs, crash } = family(['a']);
      const supervisor = new Supervisor(specs, { intensity: 1, periodMs: 5_000, now });
      await supervisor.start();
      for (let i = 0; i < 10; i++, time += 5_000) await crash('a');
      expect(supervisor.children).toEqual([{ id: 'a', running: true }]);
    });

    it('gives up exactly at the first window holding more than intensity crashes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 1, max: 10_000 }),
          fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 30 }),
          async (intensity, periodMs, gaps) => {
            time = 0;
            const { specs, crash } = family(['a']);
            const supervisor = new Supervisor(specs, { intensity, periodMs, now });
            let gaveUp: SupervisorShutdownError | undefined;
            void supervisor.terminated.then((error) => (gaveUp = error));
            await supervisor.start();
            const times: number[] = [];
            for (const gap of gaps) {
              time += gap;
              times.push(time);
              await crash('a');
              await settle();
              const inWindow = times.filter((t) => t > time - periodMs).length;
              if (inWindow > intensity) {
                expect(gaveUp).toBeInstanceOf(SupervisorShutdownError);
                return;
              }
              expect(gaveUp).toBeUndefined();
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it('a child whose start throws counts as a crash', async () => {
      let starts = 0;
      const supervisor = new Supervisor(
        [
          {
            id: 'flaky',
            start: () => {
              starts++;
              throw new Error('connection refused');
            },
          },
        ],
        { intensity: 3, periodMs: 1_000, now },
      );
      await supervisor.start();
      expect(starts).toBe(4);
      expect((await supervisor.terminated)?.cause).toMatchObject({ message: 'connection refused' });
    });
  });

  it('stop() stops the children in reverse order and ignores their late exits', async () => {
    const { log, specs, crash } = family(['a', 'b']);
    const supervisor = new Supervisor(specs, { now });
    await supervisor.start();
    await supervisor.stop();
    await crash('a');
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(await supervisor.terminated).toBeUndefined();
  });
});
