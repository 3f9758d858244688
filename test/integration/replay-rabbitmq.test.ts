// Replay and replay diff against a real RabbitMQ (test/support/global-setup.ts), through the real CLI: the
// scenario of replay-scenario.ts (also run on ActiveMQ by replay-activemq.test.ts), then a connection imported
// from a pcap is replayed.
import fs from 'node:fs';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { Conversation, LINKTYPE_OF, pcapFile } from '../capture/support/synth.js';
import { readJsonl, runCli } from '../support/proxy-cli.js';
import { describeReplay } from './replay-scenario.js';

const rabbit = inject('rabbitmq');

describeReplay(
  {
    name: 'RabbitMQ',
    async start() {
      if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
      return { host: rabbit.host, port: rabbit.stompPort };
    },
    connectHost: '/',
    drainMs: 1000,
    queuePrefix: 'replay-',
    dirPrefix: 'stompscope-replay-it-',
    sessionName: 'replay-original',
    server: /^RabbitMQ\//,
    messageId: /^T_/,
  },
  (ctx) => {
    it('replays a connection imported from a pcap capture', async () => {
      const queue = ctx.queue('pcap');
      const b = (s: string) => Buffer.from(s, 'utf8');
      // A conversation as a capture would hold it, with the capture's (foreign) message and ack ids.
      const conv = new Conversation({ ip: '10.0.0.5', port: 40123 }, { ip: '10.0.0.9', port: 61613 }).handshake()
        .send('c', b('STOMP\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0'))
        .send('b', b('CONNECTED\nversion:1.2\nsession:captured-1\nserver:RabbitMQ/3.9\nheart-beat:0,0\n\n\0'))
        .send('c', b(`SUBSCRIBE\nid:sub-0\ndestination:${queue}\nack:client-individual\nreceipt:r-sub\n\n\0`))
        .send('b', b('RECEIPT\nreceipt-id:r-sub\n\n\0'))
        .send('c', b(`SEND\ndestination:${queue}\nreceipt:r-1\ncontent-type:text/plain\n\nfrom a capture\0`))
        .send('b', b('RECEIPT\nreceipt-id:r-1\n\n\0'))
        .send('b', b(`MESSAGE\nsubscription:sub-0\ndestination:${queue}\nmessage-id:T_sub-0@@captured@@1\nredelivered:false\nack:T_sub-0@@captured@@1\nreceipt:r-1\ncontent-type:text/plain\ncontent-length:14\n\nfrom a capture\0`))
        .send('c', b('ACK\nid:T_sub-0@@captured@@1\n\n\0'))
        .send('c', b('DISCONNECT\nreceipt:r-d\n\n\0'))
        .send('b', b('RECEIPT\nreceipt-id:r-d\n\n\0'))
        .close();
      const file = path.join(ctx.dir, 'captured.pcap');
      fs.writeFileSync(file, pcapFile(conv.captured('ethernet'), { linkType: LINKTYPE_OF.ethernet }));
      const imp = await runCli(['import', file, '--db', ctx.db, '--json']);
      expect(imp.code, imp.stderr).toBe(0);
      const { session } = JSON.parse(imp.stdout) as { session: number };
      const conns = await readJsonl<{ connection: number }>(['connections', '--db', ctx.db, '--session', String(session)]);
      expect(conns).toHaveLength(1);
      const r = await ctx.replay(['--connection', String(conns[0].connection)]);
      expect(r.findings).toEqual([]);
      expect(r.sent).toBe(5);
      const { d } = await ctx.diff(conns[0].connection, r.connection);
      // The capture was written as RabbitMQ talks (it copies the SEND's receipt header into the MESSAGE), so
      // the replay against RabbitMQ brings back the same, volatile ids and session aside.
      expect(d.differences).toEqual([]);
      expect(d.matched).toBe(5);
      expect(await ctx.drain(queue)).toBe(0);
    });
  },
);
