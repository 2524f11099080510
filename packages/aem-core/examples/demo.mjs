// A small telecom-flavoured tour of the AEM core: `node packages/aem-core/examples/demo.mjs` from
// the workspace root, once @aem/core is built (`npm start` runs the SIP server, not this).
//
// A "signalling" service (two versions loaded side by side) replays the messages of a few
// simulated calls. Each call is a serialization domain, so its async handler sees INVITE,
// RINGING, ANSWER, BYE in order even though handlers await; alarms jump the queue by priority;
// a malformed message makes one handler throw without disturbing the others; streams and
// async/await mix; and the old version unloads once its last event is gone.
import { count, filter, firstValueFrom, take, toArray } from 'rxjs';
import { createAem, defineCall, defineService } from '@aem/core';

const CALLS = 4;
const SCRIPT = ['INVITE', 'RINGING', 'ANSWER', 'BYE'];

/** A deterministic pseudo-random source, so every run prints the same story. */
function lcg(seed) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Version `version` of the signalling service: `replay` plays scripted calls, `alarms` raises alarms. */
function signalling(version, tag) {
  return defineService({
    name: 'signalling',
    version,
    description: `simulated call signalling (${tag})`,
    calls: {
      replay: defineCall((ctx, args) => {
        const random = lcg(args.seed);
        const steps = [];
        for (let call = 1; call <= args.calls; call++) {
          const domain = args.domains[call - 1];
          for (const method of SCRIPT) steps.push({ call, method, domain, via: tag });
        }
        // Interleave the calls' messages as a network would, keeping each call's own order.
        const queues = Array.from({ length: args.calls }, (_, i) =>
          steps.filter((s) => s.call === i + 1),
        );
        let cancelled = false;
        const pump = () => {
          if (cancelled) return;
          const live = queues.filter((q) => q.length > 0);
          if (live.length === 0) return ctx.end();
          const step = live[Math.floor(random() * live.length)].shift();
          if (step.call === 3 && step.method === 'RINGING') step.method = 'RINGING\u0000garbage';
          ctx.activate(step, step.domain);
          setImmediate(pump);
        };
        return { start: () => setImmediate(pump), close: () => (cancelled = true) };
      }),
      alarms: defineCall((ctx, args) => {
        let raised = 0;
        const raise = () => {
          if (raised++ < args.count) {
            ctx.activate({ severity: 'major', text: `link ${raised} down` });
            setImmediate(raise);
          } else ctx.end();
        };
        return { start: () => setImmediate(raise) };
      }),
    },
  });
}

const runtime = createAem();
console.log(`backend: ${runtime.backendSelection.kind} (${runtime.backendSelection.reason})`);
runtime.errors.subscribe((error) => console.log(`  ! ${error.code}: ${error.message}`));

const v1 = signalling('1.0.0', 'v1');
const v2 = signalling('1.1.0', 'v2');
runtime.load(v1);
const legacy = runtime.bind('signalling', '~1.0');
runtime.load(v2);
const current = runtime.bind('signalling', '^1');
console.log(
  `loaded: ${runtime
    .services()
    .map((s) => `${s.name}@${s.version}`)
    .join(', ')}; legacy client on ${legacy.version}, new clients on ${current.version}`,
);

// 1. Callback form, one domain per call, async handlers serialized per call.
const domains = Array.from({ length: CALLS }, (_, i) => runtime.createDomain(`call-${i + 1}`));
const transcript = new Map();
const replay = current.call(
  'replay',
  { calls: CALLS, seed: 7, domains },
  async (msg) => {
    if (msg.method.includes('\u0000'))
      throw new Error(`malformed ${JSON.stringify(msg.method)} on call ${msg.call}`);
    await new Promise((resolve) => setImmediate(resolve)); // pretend to write a CDR
    const lines = transcript.get(msg.call) ?? [];
    lines.push(msg.method);
    transcript.set(msg.call, lines);
  },
  { priority: 3 },
);

// 2. Observable form on the legacy version: count the v1 alarms (high priority) with RxJS.
const alarmCount = firstValueFrom(
  legacy.observe('alarms', { count: 5 }, { priority: 7 }).pipe(count()),
);

// 3. Promise form with an AbortSignal, mixed with ordinary async/await.
const abort = new AbortController();
const firstAlarm = current.once('alarms', { count: 1 }, { signal: abort.signal });
const firstMajor = await firstAlarm;
console.log(`first alarm via once(): ${firstMajor.text}`);

// 4. Unloading v1 while its alarm stream is live is refused; draining waits for it.
try {
  await runtime.unload('signalling', '1.0.0');
} catch (error) {
  console.log(`unload refused: ${error.code} (${error.liveEvents} live event)`);
}
const drained = runtime.unload('signalling', '1.0.0', { drain: true });

console.log(`alarms seen on v1: ${await alarmCount}`);
await drained;
console.log(
  `v1 unloaded; loaded now: ${runtime
    .services()
    .map((s) => `${s.name}@${s.version}`)
    .join(', ')}`,
);

// `closed` means every activation was delivered; wait for the last async handlers to finish too.
await replay.closed;
while (domains.some((domain) => domain.busy || domain.queued > 0))
  await new Promise((resolve) => setImmediate(resolve));
for (const [call, lines] of [...transcript.entries()].sort((a, b) => a[0] - b[0])) {
  console.log(`call-${call}: ${lines.join(' → ')}`);
}
const inOrder = [...transcript.values()].every(
  (lines) => lines.join() === SCRIPT.filter((m) => lines.includes(m)).join(),
);
const stats = runtime.stats();
console.log(
  `per-call order kept: ${inOrder}; delivered ${stats.delivered}, handler errors ${stats.errors}, live events ${stats.liveEvents}`,
);

// 5. The same streams compose: the number of BYEs among 8 more messages on a fresh replay.
const byes = await firstValueFrom(
  current.observe('replay', { calls: 2, seed: 11, domains: domains.slice(0, 2) }).pipe(
    filter((m) => m.method === 'BYE'),
    take(2),
    toArray(),
  ),
);
console.log(`BYEs seen on a second replay: ${byes.map((m) => `call-${m.call}`).join(', ')}`);
runtime.close();
if (!inOrder || stats.errors !== 1) process.exitCode = 1;
