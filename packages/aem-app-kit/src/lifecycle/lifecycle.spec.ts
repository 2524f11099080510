import { Lifecycle } from './lifecycle';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Lifecycle', () => {
  const recorder = () => {
    const log: string[] = [];
    const step = (name: string, failStart = false, failStop = false) => ({
      name,
      start: async () => {
        await tick();
        if (failStart) throw new Error(`${name} failed`);
        log.push(`start ${name}`);
      },
      stop: async () => {
        await tick();
        log.push(`stop ${name}`);
        if (failStop) throw new Error(`${name} stop failed`);
      },
    });
    return { log, step };
  };

  it('starts in order, awaiting each, and stops in reverse', async () => {
    const { log, step } = recorder();
    const lifecycle = new Lifecycle([step('a'), step('b'), step('c')]);
    await lifecycle.start();
    expect(lifecycle.running).toEqual(['a', 'b', 'c']);
    await lifecycle.stop();
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(lifecycle.running).toEqual([]);
  });

  it('rolls back the started steps when one fails to start, and rethrows', async () => {
    const { log, step } = recorder();
    const lifecycle = new Lifecycle([step('a'), step('b'), step('c', true)]);
    await expect(lifecycle.start()).rejects.toThrow('c failed');
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(lifecycle.failedStep).toBe('c'); // the app's "start failed at step c" log
  });

  it('reports a failing stop and still stops the others', async () => {
    const { log, step } = recorder();
    const errors: string[] = [];
    const lifecycle = new Lifecycle([step('a'), step('b', false, true)], (name) =>
      errors.push(name),
    );
    await lifecycle.start();
    await lifecycle.stop();
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(errors).toEqual(['b']);
  });
});
