// Precision against RabbitMQ (the global setup's private node, STOMP and Web STOMP): every real client runs a
// clean scenario through the recording proxy while tcpdump captures it, then the planted faults run; the
// recording must match the client-side byte log exactly, the capture's import must match the recording, the
// clean runs must raise no error and no warning, and each fault exactly its finding. See support.ts for the rig.
import { describe, inject } from 'vitest';
import { silentPeer, unackedAtDisconnect, unansweredReceipt, wrongPasscode } from './faults.js';
import { definePrecisionTests } from './suite.js';
import { usePrecisionRig, type ClientName } from './support.js';

const TCP_CLIENTS: ClientName[] = ['stomp.py', 'Net::Stomp', 'Ruby stomp gem', 'PHP stomp', 'stompjs (TCP)'];
const FAULTS = [wrongPasscode, unansweredReceipt, silentPeer, unackedAtDisconnect];
const noBroker = process.env.STOMPSCOPE_NO_BROKER === '1';
const needBroker = (rabbit: unknown) => () => {
  if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
};

describe.skipIf(noBroker)('precision: real clients → proxy → RabbitMQ (STOMP over TCP)', { timeout: 300_000 }, () => {
  const rabbit = inject('rabbitmq');
  const { results } = usePrecisionRig({
    name: 'precision-rabbitmq',
    before: needBroker(rabbit),
    broker: () => ({ host: rabbit!.host, port: rabbit!.stompPort }),
    clients: TCP_CLIENTS,
    faults: FAULTS,
  });
  definePrecisionTests(results, TCP_CLIENTS, FAULTS);
});

describe.skipIf(noBroker)('precision: stompjs → proxy → RabbitMQ Web STOMP', { timeout: 300_000 }, () => {
  const rabbit = inject('rabbitmq');
  const clients: ClientName[] = ['stompjs (Web-STOMP)'];
  const { results } = usePrecisionRig({
    name: 'precision-web-stomp',
    before: needBroker(rabbit),
    broker: () => ({ host: rabbit!.host, port: rabbit!.webStompPort }),
    upstream: (port) => `ws://127.0.0.1:${port}/ws`,
    clients,
    faults: [],
  });
  definePrecisionTests(results, clients, []);
});
