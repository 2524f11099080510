// The benchmark's load, in a process of its own, the same plain node:dgram client for every
// server. Commands (IPC):
//   { cmd: 'rr', port, inFlight, ms }: request/response, `inFlight` requests outstanding, each
//     answered one replaced by the next; a request unanswered for 200 ms is counted lost and
//     sent again. Answers `{ replies, lost, seconds }`.
//   { cmd: 'flood', port, rate, ms }: one-way datagrams at `rate` per second, paced every 1 ms.
//     Answers `{ sent, seconds }`.
import { createSocket } from 'node:dgram';

const HOST = '127.0.0.1';
const MESSAGE_BYTES = 64;
const LOST_AFTER_MS = 200;

const socket = createSocket('udp4');
await new Promise((resolve) => socket.bind(0, HOST, resolve));
socket.setRecvBufferSize(4 * 1024 * 1024);
socket.setSendBufferSize(4 * 1024 * 1024);
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

async function requestResponse({ port, inFlight, ms }) {
  const sentAt = new Float64Array(inFlight);
  let replies = 0;
  let lost = 0;
  let running = true;
  const send = (slot) => {
    // A buffer per request: dgram sends on a later tick (after its address lookup), so a
    // shared buffer would carry the last slot written.
    const request = Buffer.alloc(MESSAGE_BYTES);
    request.writeUInt32BE(slot, 0);
    sentAt[slot] = performance.now();
    socket.send(request, port, HOST);
  };
  const onReply = (message) => {
    if (!running) return;
    replies++;
    send(message.readUInt32BE(0));
  };
  socket.on('message', onReply);
  const start = performance.now();
  for (let slot = 0; slot < inFlight; slot++) send(slot);
  while (performance.now() - start < ms) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = performance.now();
    for (let slot = 0; slot < inFlight; slot++) {
      if (now - sentAt[slot] > LOST_AFTER_MS) {
        lost++;
        send(slot);
      }
    }
  }
  running = false;
  const seconds = (performance.now() - start) / 1000;
  // Let the last answers land before the next round uses the socket.
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.off('message', onReply);
  return { replies, lost, seconds };
}

async function flood({ port, rate, ms }) {
  const message = Buffer.alloc(MESSAGE_BYTES);
  let sent = 0;
  const start = performance.now();
  for (let elapsed = 0; elapsed < ms; elapsed = performance.now() - start) {
    const due = Math.floor((rate * elapsed) / 1000);
    for (; sent < due; sent++) socket.send(message, port, HOST);
    await tick();
  }
  return { sent, seconds: (performance.now() - start) / 1000 };
}

process.on('message', async (job) => {
  if (job.cmd === 'rr') process.send(await requestResponse(job));
  else if (job.cmd === 'flood') process.send(await flood(job));
  else if (job.cmd === 'exit') {
    socket.close();
    process.disconnect();
  }
});
process.send({ ready: true });
