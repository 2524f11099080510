// A line echo server and a client, both on @aem/tcp: handlers for the server, streams and
// async/await for the client.
import { createAem } from '@aem/core';
import { Tcp, delimited } from '@aem/tcp';
import { firstValueFrom, take, toArray } from 'rxjs';

const runtime = createAem();
const tcp = Tcp.from(runtime);

const server = await tcp.listen({
  host: '127.0.0.1',
  port: 0,
  framer: delimited({ delimiter: '\n' }),
});
server.onMessage(({ data, connection }) => {
  connection.send(`${data.toString().toUpperCase()}\n`);
});
console.log(`echo server on ${server.address.address}:${server.address.port}`);

const client = await tcp.connect({
  port: server.address.port,
  framer: delimited({ delimiter: '\n' }),
});
const replies = firstValueFrom(client.messages.pipe(take(3), toArray()));
for (const word of ['alpha', 'beta', 'gamma']) client.send(`${word}\n`);
console.log('replies:', (await replies).map(({ data }) => data.toString()).join(' '));

client.close();
console.log('client closed:', (await client.closed).reason);
await server.close();
runtime.close();
