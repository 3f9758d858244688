// The baseline the proxy is measured against: the plainest Node TCP pipe (socket.pipe both ways), no
// decoding, no recording. Usage: tsx bench/plain-pipe.ts UPSTREAM_PORT; prints "listening on 127.0.0.1:PORT".
import net from 'node:net';

const upstreamPort = Number(process.argv[2]);
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const broker = net.connect({ host: '127.0.0.1', port: upstreamPort, allowHalfOpen: true });
  client.setNoDelay(true);
  broker.setNoDelay(true);
  client.pipe(broker);
  broker.pipe(client);
  client.on('error', () => broker.destroy());
  broker.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on 127.0.0.1:${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
