import { runCli, type CliIo } from './app-kit-cli';

describe('runCli', () => {
  const io = () => {
    const calls: string[] = [];
    const fake: CliIo = {
      kill: (pid, signal) => void calls.push(`kill ${pid} ${signal}`),
      out: (line) => void calls.push(`out ${line}`),
      err: (line) => void calls.push(`err ${line.split('\n')[0]}`),
    };
    return { calls, fake };
  };

  it('upgrade <pid> sends SIGHUP, stop <pid> sends SIGTERM', () => {
    const { calls, fake } = io();
    expect(runCli(['upgrade', '42'], fake)).toBe(0);
    expect(runCli(['stop', '42'], fake)).toBe(0);
    expect(calls).toEqual([
      'kill 42 SIGHUP',
      'out sent SIGHUP to 42 (upgrade)',
      'kill 42 SIGTERM',
      'out sent SIGTERM to 42 (stop)',
    ]);
  });

  it('prints the usage and exits 2 on bad arguments', () => {
    const { calls, fake } = io();
    expect(runCli(['reload', '42'], fake)).toBe(2);
    expect(runCli(['upgrade', 'x'], fake)).toBe(2);
    expect(calls).toEqual([
      'err usage: aem-app-kit <command> <pid>',
      'err usage: aem-app-kit <command> <pid>',
    ]);
  });

  it('exits 1 when the process cannot be signalled', () => {
    const { calls, fake } = io();
    const failing: CliIo = {
      ...fake,
      kill: () => {
        throw new Error('ESRCH');
      },
    };
    expect(runCli(['upgrade', '99999'], failing)).toBe(1);
    expect(calls).toEqual(['err aem-app-kit: cannot signal 99999: ESRCH']);
  });
});
