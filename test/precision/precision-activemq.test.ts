// Precision against ActiveMQ classic (a private broker, test/support/activemq.ts, with a guest/guest login so
// that a wrong passcode is refused): every real client over TCP runs a clean scenario through the recording
// proxy while tcpdump captures it, then the planted faults run. Same assertions as against RabbitMQ (suite.ts).
import { afterAll, beforeAll, describe } from 'vitest';
import { startActiveMQ, type ActiveMQNode } from '../support/activemq.js';
import { silentPeer, unackedAtDisconnect, unansweredReceipt, wrongPasscode } from './faults.js';
import { definePrecisionTests } from './suite.js';
import { usePrecisionRig, type ClientName } from './support.js';

const CLIENTS: ClientName[] = ['stomp.py', 'Net::Stomp', 'Ruby stomp gem', 'PHP stomp', 'stompjs (TCP)'];
const FAULTS = [wrongPasscode, unansweredReceipt, silentPeer, unackedAtDisconnect];

describe('precision: real clients → proxy → ActiveMQ', { timeout: 300_000 }, () => {
  let broker: ActiveMQNode | undefined;
  // Registered before the rig's hooks: the broker is up before the proxy starts, and stopped after it.
  beforeAll(async () => {
    broker = await startActiveMQ({ users: [{ username: 'guest', password: 'guest' }] });
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  });
  const { results } = usePrecisionRig({
    name: 'precision-activemq',
    broker: () => ({ host: broker!.host, port: broker!.stompPort }),
    clients: CLIENTS,
    faults: FAULTS,
  });
  definePrecisionTests(results, CLIENTS, FAULTS);
});
