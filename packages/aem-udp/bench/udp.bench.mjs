// @aem/udp against raw node:dgram doing the same job the plain way, in one run on loopback
// (not a test; `npm run bench:udp` from the workspace root).
//
//   1. request/response: a client keeps N requests (64 bytes) in flight, each answer replaced by
//      the next; N steps through BENCH_IN_FLIGHT; the figure is the best answered rate without a
//      lost request, with the server's CPU per request at that step;
//   2. one-way flood: the highest offered rate the server takes without losing a datagram
//      (doubling, then bisecting), and the server's CPU per datagram at one common rate (half
//      the lower of the two servers' zero-loss rates);
//   3. system calls per message of each server (`strace -f -c` on its process) at a fixed low
//      load: request/response (`userspaceSyscallsPerMsg`, ours) and flood.
// Servers run in processes of their own (udp-server.mjs): CPU time is `process.cpuUsage()` of the
// server process. The kernel backend's figures (`kmodRatio`, `kmodSyscallsPerMsg`) come from a run
// inside the test VM, where aem_udp.ko loads: set BENCH_UDP_KMOD to the JSON file that run wrote
// (an object with those fields, e.g. the figures of its `BENCH udp-kmod {…}` line) to carry
// them into this line; without it they are null.
// Last line: BENCH udp {json}.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChart, writeChart } from '../../../tools/bench-chart.mjs';
import {
  IN_FLIGHT_STEPS,
  ROUND_MS,
  SYSCALL_RATE,
  floodCpuAt,
  floodSearch,
  requestResponse,
  startClient,
  syscallsPerMessage,
} from './udp-measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const round = (value, digits = 3) => (value === null ? null : Number(value.toFixed(digits)));

/** The kernel backend's figures from a VM run (BENCH_UDP_KMOD), or nulls. */
function kmodFigures() {
  const file = process.env.BENCH_UDP_KMOD;
  if (!file)
    return {
      kmodRatio: null,
      kmodMmsgRatio: null,
      kmodSyscallsPerMsg: null,
      kmodSource: 'not run',
    };
  if (!existsSync(file)) throw new Error(`BENCH_UDP_KMOD: no file ${file}`);
  const figures = JSON.parse(readFileSync(file, 'utf8'));
  return {
    kmodRatio: figures.kmodRatio ?? null,
    kmodMmsgRatio: figures.kmodMmsgRatio ?? null,
    kmodSyscallsPerMsg: figures.kmodSyscallsPerMsg ?? null,
    kmodSource: file,
    kmod: figures,
  };
}

const client = await startClient();
try {
  console.log(
    `@aem/udp vs node:dgram on loopback (node ${process.version}, ${availableParallelism()} CPUs, ${ROUND_MS} ms rounds)`,
  );
  const rr = {};
  for (const kind of ['ours', 'raw']) {
    rr[kind] = await requestResponse(client, kind);
    for (const step of rr[kind].steps)
      console.log(
        `request/response ${kind}: ${step.inFlight} in flight → ${step.perSec.toLocaleString()} msg/s, ${step.lost} lost, ${round(step.cpuUsPerMsg, 2)} µs CPU/msg`,
      );
  }
  const flood = {};
  for (const kind of ['ours', 'raw']) {
    flood[kind] = await floodSearch(client, kind);
    for (const r of flood[kind].rounds)
      console.log(
        `flood ${kind}: offered ${r.rate.toLocaleString()}/s → received ${r.received} of ${r.sent} (${r.kernelDrops} kernel drops), ${round(r.cpuUsPerMsg, 2)} µs CPU/msg`,
      );
  }
  const commonRate = Math.max(1_000, Math.round(Math.min(flood.ours.rate, flood.raw.rate) / 2));
  const floodCpu = {};
  for (const kind of ['ours', 'raw']) floodCpu[kind] = await floodCpuAt(client, kind, commonRate);
  const syscalls = {};
  for (const kind of ['ours', 'raw']) {
    syscalls[kind] = {
      echo: await syscallsPerMessage(client, kind, 'echo'),
      sink: await syscallsPerMessage(client, kind, 'sink'),
    };
    console.log(
      `system calls per message, ${kind}: request/response ${round(syscalls[kind].echo?.perMsg ?? null)}, flood ${round(syscalls[kind].sink?.perMsg ?? null)}`,
    );
  }

  const rrRatio = rr.ours.perSec / rr.raw.perSec;
  const floodRatio = flood.raw.perSec > 0 ? flood.ours.perSec / flood.raw.perSec : null;
  const line = {
    messageBytes: 64,
    roundMs: ROUND_MS,
    inFlightSteps: IN_FLIGHT_STEPS,
    requestResponse: {
      ours: rr.ours.perSec,
      raw: rr.raw.perSec,
      oursInFlight: rr.ours.inFlight,
      rawInFlight: rr.raw.inFlight,
      oursCpuUsPerMsg: round(rr.ours.cpuUsPerMsg, 2),
      rawCpuUsPerMsg: round(rr.raw.cpuUsPerMsg, 2),
      ratio: round(rrRatio),
    },
    flood: {
      ours: flood.ours.perSec,
      raw: flood.raw.perSec,
      cpuAtRate: commonRate,
      oursCpuUsPerMsg: round(floodCpu.ours.cpuUsPerMsg, 2),
      rawCpuUsPerMsg: round(floodCpu.raw.cpuUsPerMsg, 2),
      ratio: round(floodRatio),
    },
    /** The headline: request/response at zero loss, ours / raw node:dgram. */
    ratio: round(rrRatio),
    floodRatio: round(floodRatio),
    cpuRatio: round(rr.ours.cpuUsPerMsg / rr.raw.cpuUsPerMsg),
    userspaceSyscallsPerMsg: round(syscalls.ours.echo?.perMsg ?? null),
    rawSyscallsPerMsg: round(syscalls.raw.echo?.perMsg ?? null),
    userspaceFloodSyscallsPerMsg: round(syscalls.ours.sink?.perMsg ?? null),
    rawFloodSyscallsPerMsg: round(syscalls.raw.sink?.perMsg ?? null),
    syscallLoad: { requestResponseInFlight: 16, floodRate: SYSCALL_RATE },
    ...kmodFigures(),
    node: process.version,
    cpus: availableParallelism(),
  };
  writeChart(
    join(here, 'results', 'udp.svg'),
    barChart({
      title: `@aem/udp vs node:dgram, zero-loss messages/s (node ${process.version}, ${availableParallelism()} CPUs)`,
      y: { label: 'messages per second' },
      groups: [
        {
          label: 'request/response',
          bars: [
            { name: '@aem/udp', value: rr.ours.perSec },
            { name: 'raw node:dgram', value: rr.raw.perSec },
          ],
        },
        {
          label: 'one-way flood',
          bars: [
            { name: '@aem/udp', value: flood.ours.perSec },
            { name: 'raw node:dgram', value: flood.raw.perSec },
          ],
        },
      ],
    }),
  );
  writeChart(
    join(here, 'results', 'udp-cpu.svg'),
    barChart({
      title: 'server CPU per message (µs)',
      y: { label: 'µs of CPU per message' },
      groups: [
        {
          label: 'request/response',
          bars: [
            { name: '@aem/udp', value: rr.ours.cpuUsPerMsg ?? 0 },
            { name: 'raw node:dgram', value: rr.raw.cpuUsPerMsg ?? 0 },
          ],
        },
        {
          label: `flood at ${commonRate.toLocaleString()}/s`,
          bars: [
            { name: '@aem/udp', value: floodCpu.ours.cpuUsPerMsg ?? 0 },
            { name: 'raw node:dgram', value: floodCpu.raw.cpuUsPerMsg ?? 0 },
          ],
        },
      ],
    }),
  );
  console.log(`BENCH udp ${JSON.stringify(line)}`);
} finally {
  client.send({ cmd: 'exit' });
}
