/**
 * What the CLI needs from the process, injectable for tests.
 *
 * @example
 * ```ts
 * const io: CliIo = { kill: process.kill, out: console.log, err: console.error };
 * ```
 */
export interface CliIo {
  /** Sends a signal to a process (`process.kill`). */
  kill(pid: number, signal: NodeJS.Signals): void;
  /** Prints a line to stdout. */
  out(line: string): void;
  /** Prints a line to stderr. */
  err(line: string): void;
}

const USAGE = `usage: aem-app-kit <command> <pid>
  upgrade <pid>   hot upgrade: the application reloads its handler file (SIGHUP)
  stop <pid>      graceful stop (SIGTERM)`;

/**
 * The `aem-app-kit` command line: `upgrade <pid>` asks a running application to reload its
 * handler file from disk and hot-upgrade to it (it sends `SIGHUP`, which {@link AemApp.handleSignals}
 * handles); `stop <pid>` asks for a graceful stop (`SIGTERM`). The outcome is in the
 * application's logs and its `/health`.
 *
 * @example
 * ```sh
 * npx aem-app-kit upgrade $(cat app.pid)
 * ```
 * @param argv - the arguments after the program name.
 * @param io - process access (default the real one).
 * @returns the exit code.
 */
export function runCli(argv: readonly string[], io: CliIo = defaultIo): number {
  const [command, pidText] = argv;
  const signal = command === 'upgrade' ? 'SIGHUP' : command === 'stop' ? 'SIGTERM' : undefined;
  const pid = Number(pidText);
  if (signal === undefined || !Number.isSafeInteger(pid) || pid <= 0) {
    io.err(USAGE);
    return 2;
  }
  try {
    io.kill(pid, signal);
  } catch (error) {
    io.err(`aem-app-kit: cannot signal ${pid}: ${(error as Error).message}`);
    return 1;
  }
  io.out(`sent ${signal} to ${pid} (${command})`);
  return 0;
}

const defaultIo: CliIo = {
  kill: (pid, signal) => process.kill(pid, signal),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
