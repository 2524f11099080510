// SIP_BACKEND at the process level: what a user sees when the backend asked for cannot serve.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_MAIN } from './uas-process';

/** Runs the built server with `env` until it exits (bounded); its exit code and output. */
function runUntilExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DIST_MAIN], {
      env: {
        ...process.env,
        SIP_HOST: '127.0.0.1',
        SIP_PORT: '0',
        SIP_STATUS_MS: '0',
        SIP_STORE: join(mkdtempSync(join(tmpdir(), 'sip-uas-store-')), 'registrations.journal'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // A watchdog on another process: wall time.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('SIP_BACKEND', () => {
  it('refuses an unknown backend at start, naming the variable', async () => {
    const { code, output } = await runUntilExit({ SIP_BACKEND: 'auto' });
    expect(code).toBe(1);
    expect(output).toContain(`sip-uas: SIP_BACKEND must be 'userspace' or 'kmod', got "auto"`);
  });

  // Where the kernel modules are not loaded (this host): no silent fallback to userspace. With
  // them (the test VM), t_sip_kmod serves calls on kmod instead.
  (existsSync('/dev/aem') ? it.skip : it)(
    'exits 1 on kmod without /dev/aem, saying the module is not loaded',
    async () => {
      const { code, output } = await runUntilExit({ SIP_BACKEND: 'kmod' });
      expect(code).toBe(1);
      expect(output).toMatch(
        /sip-uas: backend "kmod" is unavailable: \/dev\/aem does not exist \(the aem_core kernel module is not loaded/,
      );
      expect(output).not.toContain('listening on sip:');
    },
  );
});
