// Named rule sets users reach for, offered in the UI's Rules panel and kept as files in scenarios/ for
// `stompscope proxy --rules scenarios/NAME.json` (a test checks that both say the same).
import type { Rule } from './rules.js';

export interface Scenario {
  /** The file name in scenarios/, without .json. */
  id: string;
  title: string;
  description: string;
  rules: Rule[];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'slow-broker', title: 'Slow broker', description: 'Every MESSAGE reaches the client 2 s late (order kept).',
    rules: [{ name: 'slow broker', when: 'command == "MESSAGE"', do: 'delay', ms: 2000 }],
  },
  {
    id: 'lossy-receipts', title: 'Lossy receipts', description: 'Half of the RECEIPTs never reach the client.',
    rules: [{ name: 'lossy receipts', when: 'command == "RECEIPT"', do: 'drop', probability: 0.5 }],
  },
  {
    id: 'broker-says-no', title: 'Broker says no',
    description: 'A SEND to /queue/admin is answered with an ERROR and never reaches the broker; the connection closes, as brokers do.',
    rules: [{
      name: 'broker says no', when: 'command == "SEND" and destination == "/queue/admin"', do: 'reply', command: 'ERROR',
      headers: [['message', 'forbidden by rule']], body: 'no',
    }],
  },
  {
    id: 'silent-broker', title: 'Silent broker',
    description: 'After CONNECTED the broker\'s heart-beats stop reaching the client for 10 minutes, far past any negotiated timeout.',
    rules: [{ name: 'silent broker', when: 'command == "CONNECTED"', do: 'stall-heartbeats', ms: 600000 }],
  },
  {
    id: 'flaky-network', title: 'Flaky network', description: 'Each connection is reset at its 20th frame.',
    rules: [{ name: 'flaky network', when: 'seq == 19', do: 'reset' }],
  },
];
