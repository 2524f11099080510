// A length-prefixed request/response protocol (2-byte big-endian length, as many binary
// telecom protocols frame their messages), with an async server handler.
import { createAem } from '@aem/core';
import { Tcp, lengthPrefixed } from '@aem/tcp';

const frame = (text) => {
  const body = Buffer.from(text);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(body.length);
  return Buffer.concat([header, body]);
};

const runtime = createAem();
const tcp = Tcp.from(runtime);
const server = await tcp.listen({
  host: '127.0.0.1',
  port: 0,
  framer: lengthPrefixed({ width: 2 }),
});

const balances = new Map([['alice', 10]]);
server.onMessage(async ({ data, connection }) => {
  // Async handlers of one connection run one at a time, in order: no lock needed.
  const [op, who, amount] = data.toString().split(' ');
  await new Promise((resolve) => setImmediate(resolve)); // a database round trip
  const balance = (balances.get(who) ?? 0) + (op === 'credit' ? Number(amount) : -Number(amount));
  balances.set(who, balance);
  connection.send(frame(`${who}=${balance}`));
});

const client = await tcp.connect({
  port: server.address.port,
  framer: lengthPrefixed({ width: 2 }),
});
const answers = [];
client.onMessage(({ data }) => void answers.push(data.toString()));
for (const request of ['credit alice 5', 'debit alice 3', 'credit bob 7'])
  client.send(frame(request));
while (answers.length < 3) await new Promise((resolve) => setImmediate(resolve));
console.log(answers.join(', '));

client.close();
await server.close();
runtime.close();
