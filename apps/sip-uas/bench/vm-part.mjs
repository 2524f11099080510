// The `vm` part of bench:sip: runs packages/aem-kmod/scripts/vm-bench-sip.sh (`npm run
// bench:sip:vm`, the kernel backend in the test VM) and hands its figures to sip.bench.mjs.
import { runVmBench } from '../../../packages/aem-kmod/scripts/run-vm-bench.mjs';

/**
 * Runs the VM benchmark, echoing its lines (its BENCH line as `vm: BENCH …`). Resolves its
 * figures without the per-step records (`{ figures }`), `{ skipped }` with the reason when the
 * machine has no VM toolchain or sipp (exit 3), or `{ failed }` when the VM run failed.
 */
export async function vmPart() {
  const { code, line, output } = await runVmBench('vm-bench-sip.sh', 'sip-vm');
  if (code === 0 && line !== null) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- in build/bench-sip-vm.json
    const { steps, ...figures } = line;
    return { figures };
  }
  if (code === 3) return { skipped: output.trim().split('\n').at(-1) };
  return { failed: `vm-bench-sip.sh exited ${code}` };
}
