// SIP-style messages (headers + Content-Length body) over TCP: a server that answers OPTIONS,
// and a client that mixes an RxJS stream with async/await.
import { createAem } from '@aem/core';
import { Tcp, contentLength } from '@aem/tcp';
import { filter, firstValueFrom, map } from 'rxjs';

const runtime = createAem();
const tcp = Tcp.from(runtime);
const server = await tcp.listen({
  host: '127.0.0.1',
  port: 0,
  framer: contentLength({ maxFrameBytes: 65_536 }),
});

server.onMessage(({ data, connection }) => {
  const [requestLine, ...headers] = data.toString('latin1').split('\r\n');
  const callId = headers.find((h) => h.toLowerCase().startsWith('call-id:')) ?? 'Call-ID: ?';
  const body = `handled ${requestLine.split(' ')[0]}`;
  connection.send(`SIP/2.0 200 OK\r\n${callId}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
});

const client = await tcp.connect({ port: server.address.port, framer: contentLength() });
const responses = client.messages.pipe(
  map(({ data }) => data.toString('latin1')),
  filter((text) => text.startsWith('SIP/2.0 200')),
);
const first = firstValueFrom(responses);
client.send(
  'OPTIONS sip:uas@127.0.0.1 SIP/2.0\r\nCall-ID: a84b4c76e66710\r\nContent-Length: 0\r\n\r\n',
);
const response = await first;
console.log(response.split('\r\n')[0], '|', response.split('\r\n\r\n')[1]);

client.close();
await server.close();
runtime.close();
