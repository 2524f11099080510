// The floor of a SIP server on node:dgram, for `npm run bench:sip`'s `floor` part and
// bench:scale's: the same datagrams on the wire as apps/sip-uas sends for sipp's `uac` call
// (180 Ringing and 200 OK with SDP to an INVITE, 200 to a BYE or any other request, nothing to
// an ACK), with no SIP stack at all — no parsing beyond finding five header lines, no
// transactions, no dialogs, no timers, no retransmissions. Whatever it costs per call is what
// node:dgram and the minimum string work cost; apps/sip-uas cannot cost less on the same
// transport (it reads and sends in batches on @aem/udp's `mmsg` transport, which this floor
// does not). Not a server to deploy: it answers retransmissions again and checks nothing.
//
// `node dgram-floor-server.mjs <port> [workers]`: `workers` processes (default 1) bind
// 127.0.0.1:<port> with reusePort (Node ≥ 22.12), as apps/sip-uas's workers do, with the same
// 4 MiB receive buffer; the first process forks the others and stops them on SIGTERM.
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 1);
const isWorker = process.env.DGRAM_FLOOR_WORKER === '1';
const children = [];
if (!isWorker) {
  for (let i = 1; i < workers; i++) {
    children.push(
      fork(new URL(import.meta.url).pathname, [String(port), '1'], {
        env: { ...process.env, DGRAM_FLOOR_WORKER: '1' },
      }),
    );
  }
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** The value of header `name` (its line as sent: `Name: value`) in `text`, or ''. */
function header(text, name) {
  const at = text.indexOf(`\r\n${name}:`);
  if (at < 0) return '';
  const end = text.indexOf('\r\n', at + 2);
  return text.slice(at + 2, end);
}

const socket = createSocket({ type: 'udp4', reuseAddr: true, reusePort: true });
socket.on('message', (data, from) => {
  const text = data.toString('latin1');
  if (text.startsWith('ACK ')) return;
  const via = header(text, 'Via');
  const callId = header(text, 'Call-ID');
  const cseq = header(text, 'CSeq');
  const fromLine = header(text, 'From');
  const toLine = header(text, 'To');
  const common = `${via}\r\n${fromLine}\r\n${toLine};tag=floor\r\n${callId}\r\n${cseq}\r\n`;
  const send = (message) => socket.send(message, from.port, from.address);
  if (text.startsWith('INVITE ')) {
    send(`SIP/2.0 180 Ringing\r\n${common}Content-Length: 0\r\n\r\n`);
    send(
      `SIP/2.0 200 OK\r\n${common}Contact: <sip:floor@127.0.0.1:${port}>\r\n` +
        `Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
    );
  } else {
    send(`SIP/2.0 200 OK\r\n${common}Content-Length: 0\r\n\r\n`);
  }
});
socket.bind({ port, address: '127.0.0.1' }, () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  console.log(`dgram floor listening on 127.0.0.1:${port} (${isWorker ? 'worker' : 'first'})`);
});
process.once('SIGTERM', () => {
  for (const child of children) child.kill('SIGTERM');
  socket.close(() => process.exit(0));
});
