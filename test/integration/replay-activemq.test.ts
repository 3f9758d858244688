// Replay and replay diff against a real ActiveMQ classic (test/support/activemq.ts), through the real CLI: the
// scenario of replay-scenario.ts (also run on RabbitMQ by replay-rabbitmq.test.ts) on a broker that talks
// differently (JMS headers on MESSAGE, `ID:` message ids, a BytesMessage for a SEND with content-length).
import { startActiveMQ, type ActiveMQNode } from '../support/activemq.js';
import { describeReplay } from './replay-scenario.js';

let broker: ActiveMQNode | null = null;

describeReplay({
  name: 'ActiveMQ',
  async start() {
    broker = await startActiveMQ();
    return { host: broker.host, port: broker.stompPort };
  },
  stop: async () => broker?.stop(),
  connectHost: 'localhost',
  drainMs: 1500,
  queuePrefix: 'replay-amq-',
  dirPrefix: 'stompscope-replay-amq-',
  sessionName: 'replay-original-activemq',
  server: /^ActiveMQ\//,
  messageId: /^ID:/,
  setupTimeoutMs: 150_000,
});
