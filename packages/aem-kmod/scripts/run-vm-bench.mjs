// Runs one of this folder's VM benchmark scripts (vm-bench-*.sh) for a host benchmark that
// reports the guest's figures beside its own: bench:tcp's idle part, bench:sip's vm part.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;

/**
 * Runs `scripts/<script>` with bash, echoing its standard output with each `BENCH` line shown
 * as `vm: BENCH …` (the host benchmark's own BENCH line stays its last), its standard error
 * passed through.
 *
 * @param script - the script's file name in packages/aem-kmod/scripts (e.g. `vm-bench-sip.sh`).
 * @param name - the name of the BENCH line to pick out (`BENCH <name> {json}`).
 * @returns (resolves, never rejects) the exit code, the parsed BENCH line (`null` when the
 *   script printed none) and the script's whole standard output.
 */
export function runVmBench(script, name) {
  return new Promise((resolve) => {
    const vm = spawn('bash', [join(here, script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    vm.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(String(chunk).replace(/^BENCH /gm, 'vm: BENCH '));
    });
    vm.on('error', (error) => resolve({ code: null, line: null, output: `${output}\n${error.message}` }));
    vm.on('close', (code) => {
      const found = new RegExp(`^BENCH ${name} (.*)$`, 'm').exec(output);
      resolve({ code, line: found ? JSON.parse(found[1]) : null, output });
    });
  });
}
