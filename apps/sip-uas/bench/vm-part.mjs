// The `vm` part of bench:sip: runs packages/aem-kmod/scripts/vm-bench-sip.sh (`npm run
// bench:sip:vm`, the kernel backend in the test VM) and hands its figures to sip.bench.mjs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const script = join(
  new URL('.', import.meta.url).pathname,
  '../../../packages/aem-kmod/scripts/vm-bench-sip.sh',
);

/**
 * Runs the VM benchmark, echoing its lines (its BENCH line as `vm: BENCH …`). Resolves its
 * figures without the per-step records (`{ figures }`), `{ skipped }` with the reason when the
 * machine has no VM toolchain or sipp (exit 3), or `{ failed }` when the VM run failed.
 */
export function vmPart() {
  return new Promise((resolve) => {
    const vm = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    vm.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(String(chunk).replace(/^BENCH /gm, 'vm: BENCH '));
    });
    vm.on('close', (code) => {
      const found = /^BENCH sip-vm (.*)$/m.exec(output);
      if (code === 0 && found) {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars -- in build/bench-sip-vm.json
        const { steps, ...figures } = JSON.parse(found[1]);
        resolve({ figures });
      } else if (code === 3) resolve({ skipped: output.trim().split('\n').at(-1) });
      else resolve({ failed: `vm-bench-sip.sh exited ${code}` });
    });
  });
}
