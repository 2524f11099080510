// One UDP server of the benchmark, in a process of its own so that its CPU time is its own:
// `node udp-server.mjs <ours|raw> <echo|sink>`. `ours` is @aem/udp on the backend AEM_BACKEND
// names (userspace by default; kmod in the test VM), `raw` is node:dgram written the plain way.
// It tells its parent `{ port, pid }`, then answers `stats` with its counters, its CPU time and
// the transport it runs on (@aem/udp's `node`, `mmsg` or `kernel`; `raw` for node:dgram).
import { createSocket } from 'node:dgram';
import { createAem } from '@aem/core';
import { Udp } from '@aem/udp';

const [kind, mode] = process.argv.slice(2);
const HOST = '127.0.0.1';
/** The same receive buffer for both servers (the kernel caps it at net.core.rmem_max). */
const RECV_BUFFER = 4 * 1024 * 1024;

let received = 0;
let transport = 'raw';
let stats = () => ({ received, kernelDrops: 0 });
let port;
let close;

if (kind === 'ours') {
  const runtime = createAem({ backend: process.env.AEM_BACKEND ?? 'userspace' });
  const udp = Udp.from(runtime);
  transport = udp.transport;
  const socket = await udp.bind({
    host: HOST,
    port: 0,
    recvBufferSize: RECV_BUFFER,
    limits: { maxQueuedDatagrams: 65_536, maxSendQueueDatagrams: 65_536 },
  });
  // The handler as an application writes it: answer through the datagram.
  if (mode === 'echo') socket.onDatagram((datagram) => void datagram.reply(datagram.data));
  else socket.onDatagram(() => void received++);
  stats = () => {
    const s = socket.stats;
    return { received: s.received, kernelDrops: s.kernelDrops, dropped: s.droppedQueueFull };
  };
  port = socket.address.port;
  close = async () => {
    await socket.close();
    runtime.close();
  };
} else {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, HOST, resolve));
  socket.setRecvBufferSize(RECV_BUFFER);
  if (mode === 'echo')
    socket.on('message', (message, rinfo) => {
      received++;
      socket.send(message, rinfo.port, rinfo.address);
    });
  else socket.on('message', () => received++);
  port = socket.address().port;
  close = () => new Promise((resolve) => socket.close(resolve));
}

process.on('message', async (message) => {
  if (message.cmd === 'stats') {
    process.send({ ...stats(), cpu: process.cpuUsage(), transport });
  } else if (message.cmd === 'exit') {
    await close();
    process.disconnect();
  }
});
process.send({ port, pid: process.pid, backend: process.env.AEM_BACKEND ?? 'userspace' });
