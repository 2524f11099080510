// The rate search of bench:sip and bench:scale: up by a step (1000 per second) from the step
// until a step fails, then by a quarter step from the last passing rate. Shared by the parts of
// sip.bench.mjs, auth-tls-parts.mjs and scale.bench.mjs.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Steps the rate up against one server (started by `start`, stopped at the end); `step(server,
 * rate)` runs one step and returns {@link sippStep}'s record. Returns the highest passing rate
 * (`cps`, 0 when even the first step failed) and every step.
 *
 * @param name - the label of the printed lines.
 * @param maxRate - the highest rate tried.
 * @param options.stepRate - the first rate and the coarse increment (default 1000); the fine
 *   increment after the first failure is a quarter of it.
 * @param options.log - prints one step (default: one line with the step's counts and CPU).
 */
export async function rampUp(name, start, step, maxRate, { stepRate = 1000, log = logStep } = {}) {
  const server = await start();
  const steps = [];
  let best = 0;
  try {
    let rate = stepRate;
    let increment = stepRate;
    while (rate <= maxRate) {
      const result = await step(server, rate);
      steps.push(result);
      log(name, result);
      if (result.pass) {
        best = rate;
        rate += increment;
      } else if (increment === stepRate) {
        increment = Math.max(1, Math.round(stepRate / 4));
        rate = best + increment;
        if (rate >= result.rate) break;
      } else {
        break;
      }
      await sleep(1000); // let the server settle (timers, GC) between steps
    }
  } finally {
    await server.stop();
  }
  return { cps: best, steps };
}

/** The default line of one step: rate, calls, the most in progress, both processes' CPU. */
function logStep(name, result) {
  console.log(
    `${name.padEnd(16)} ${String(result.rate).padStart(6)} calls/s → ${result.successful} ok, ${result.failed} failed, ` +
      `at most ${result.maxCurrentCalls} in progress, CPU server ${result.serverCpu}% sipp ${result.sippCpu}%` +
      (result.pass ? '' : '  FAIL'),
  );
}
