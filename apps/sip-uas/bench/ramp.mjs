// The rate search of bench:sip: up by 1000 per second from 1000 until a step fails, then by 250
// from the last passing rate. Shared by the parts of sip.bench.mjs and auth-tls-parts.mjs.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Steps the rate up against one server (started by `start`, stopped at the end); `step(server,
 * rate)` runs one step and returns {@link sippStep}'s record. Returns the highest passing rate
 * (`cps`, 0 when even 1000 failed) and every step.
 *
 * @param name - the label of the printed lines.
 * @param maxRate - the highest rate tried.
 */
export async function rampUp(name, start, step, maxRate) {
  const server = await start();
  const steps = [];
  let best = 0;
  try {
    let rate = 1000;
    let increment = 1000;
    while (rate <= maxRate) {
      const result = await step(server, rate);
      steps.push(result);
      console.log(
        `${name.padEnd(16)} ${String(rate).padStart(6)} calls/s → ${result.successful} ok, ${result.failed} failed, ` +
          `at most ${result.maxCurrentCalls} in progress, CPU server ${result.serverCpu}% sipp ${result.sippCpu}%` +
          (result.pass ? '' : '  FAIL'),
      );
      if (result.pass) {
        best = rate;
        rate += increment;
      } else if (increment === 1000) {
        increment = 250;
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
