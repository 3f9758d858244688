// The analyzer is fed whatever peers send: random conversations (any command, header, order, time, heart-beat)
// never make it throw, every finding is a catalogue code, every link joins two frames it was given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionAnalyzer } from '../../shared/analysis/connection.js';
import { DeliveryCorrelator } from '../../shared/analysis/delivery.js';
import { PROFILE_NAMES } from '../../shared/analysis/profiles.js';
import type { Finding, Link } from '../../shared/analysis/types.js';
import { issueInfo } from '../../shared/issues.js';

const commands = ['CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'MESSAGE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT',
  'DISCONNECT', 'RECEIPT', 'ERROR', 'send', 'X'];
const names = ['id', 'ack', 'receipt', 'receipt-id', 'message-id', 'subscription', 'transaction', 'destination', 'version', 'heart-beat',
  'accept-version', 'host', 'server', 'content-length', 'selector', 'client-id', 'durable-subscription-name', 'message'];
const values = ['', '1', '2', 'a\\c', 'client', 'client-individual', 'auto', '1.0', '1.1', '1.2', '9.9', '0,0', '10,10', '100,x', '/t/a', '/queue/a',
  'RabbitMQ/3', 'ActiveMQ/5', 'ActiveMQ-Artemis/2', '\\q'];

const event = fc.oneof(
  fc.record({
    kind: fc.constant('frame' as const), dir: fc.constantFrom('client' as const, 'broker' as const), command: fc.constantFrom(...commands),
    headers: fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...values)), { maxLength: 6 }),
    dt: fc.integer({ min: -5_000_000, max: 5_000_000 }), bodyLength: fc.nat(5), hash: fc.option(fc.nat(3)),
  }),
  fc.record({ kind: fc.constant('heartbeat' as const), dir: fc.constantFrom('client' as const, 'broker' as const), dt: fc.integer({ min: 0, max: 3_000_000 }) }),
);

describe('the analyzer on arbitrary conversations', () => {
  it('never throws; codes are catalogued; findings and links point at frames it was fed', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 60 }), fc.option(fc.constantFrom(...PROFILE_NAMES)), fc.nat(3), (events, profile, maxPending) => {
      const links: Link[] = [];
      const findings: Finding[] = [];
      const a = new ConnectionAnalyzer({ link: (l) => links.push(l), finding: (f) => findings.push(f) },
        { profile, delivery: new DeliveryCorrelator(maxPending + 1), maxPending: maxPending + 1, maxListed: 1 });
      const fed = new Set<number>();
      let t = 1_700_000_000_000_000;
      let id = 0;
      let offset = 0;
      for (const e of events) {
        t += e.dt;
        if (e.kind === 'heartbeat') a.heartbeat(e.dir, t, offset++);
        else {
          fed.add(++id);
          a.frame({ id, dir: e.dir, time: t, command: e.command, headers: e.headers, bodyLength: e.bodyLength, bodyHash: e.hash, offset, length: 10 });
          offset += 10;
        }
      }
      a.close(t + 1);
      for (const f of findings) {
        expect(issueInfo(f.code), f.code).toBeDefined();
        expect(f.frameId === null || fed.has(f.frameId), JSON.stringify(f)).toBe(true);
      }
      for (const l of links) expect(fed.has(l.fromFrameId) && fed.has(l.toFrameId), JSON.stringify(l)).toBe(true);
    }), { numRuns: 400 });
  });
});
