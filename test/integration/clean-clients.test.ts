// Real client libraries, used the way their documentation shows, through the recording proxy to a real RabbitMQ
// and a real ActiveMQ 5.17:
// a clean, correct session must raise no error and no warning (notes are fine). PHP's stomp extension and Perl's
// Net::Stomp speak STOMP 1.0 (CONNECT with login, passcode and host, no accept-version; client ack, PHP's
// ack($frame) copying the MESSAGE's headers into the ACK; no receipt on DISCONNECT); stomp.py 8 speaks 1.2 with
// heart-beats, and so does the Ruby stomp gem here. Each client's script prints OK when it got its message back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDb } from '../../src-main/core/store/db.js';
import { startActiveMQ } from '../support/activemq.js';
import { startProxy, type RunningProxy } from '../support/proxy-cli.js';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const HAVE_PHP = has('php', ['-r', 'exit(class_exists("Stomp") ? 0 : 1);']);
const HAVE_PERL = has('perl', ['-MNet::Stomp', '-e', '1']);
const HAVE_STOMPPY = has('/usr/bin/python3', ['-c', 'import stomp']);
const HAVE_RUBY = has('ruby', ['-e', 'require "stomp"']);

const PHP = `<?php
[$port, $queue] = [$argv[1], $argv[2]];
$s = new Stomp("tcp://127.0.0.1:$port", 'guest', 'guest', ['host' => '/']);
$s->subscribe($queue, ['ack' => 'client']);
$s->send($queue, 'hello from php', ['persistent' => 'true']);
$f = $s->readFrame();
if (!$f || $f->body !== 'hello from php') { fwrite(STDERR, "no message\\n"); exit(1); }
$s->ack($f);
$s->unsubscribe($queue);
unset($s);
echo "OK\\n";
`;

const PERL = `use strict; use warnings; use Net::Stomp;
my ($port, $queue) = @ARGV;
my $s = Net::Stomp->new({ hostname => '127.0.0.1', port => $port });
$s->connect({ login => 'guest', passcode => 'guest', host => '/' });
$s->subscribe({ destination => $queue, ack => 'client' });
$s->send({ destination => $queue, body => 'hello from perl' });
my $f = $s->receive_frame;
die "no message\\n" unless $f && $f->body eq 'hello from perl';
$s->ack({ frame => $f });
$s->disconnect;
print "OK\\n";
`;

const PY = `import sys, threading, stomp
port, queue = int(sys.argv[1]), sys.argv[2]
got = threading.Event()
class L(stomp.ConnectionListener):
    def on_message(self, frame):
        conn.ack(frame.headers['ack'])
        got.set()
conn = stomp.Connection12([('127.0.0.1', port)], heartbeats=(400, 400), vhost='/')
conn.set_listener('', L())
conn.connect('guest', 'guest', wait=True)
conn.subscribe(queue, id='1', ack='client-individual')
conn.send(queue, 'hello from stomp.py', receipt='send-1')
if not got.wait(10): sys.exit('no message')
conn.disconnect(receipt='bye')
print('OK')
`;

const RUBY = `require 'stomp'
port, queue = ARGV[0].to_i, ARGV[1]
c = Stomp::Connection.new(hosts: [{ login: 'guest', passcode: 'guest', host: '127.0.0.1', port: port }], reliable: false,
  connect_headers: { 'accept-version' => '1.2', 'host' => '/', 'heart-beat' => '500,500' })
c.subscribe(queue, { 'id' => 's1', 'ack' => 'client-individual' })
c.publish(queue, 'hello from ruby')
m = c.receive
abort 'no message' unless m && m.body == 'hello from ruby'
c.ack(m.headers['ack'])
c.disconnect
puts 'OK'
`;

/** Runs every installed client through a recording proxy to `upstream`; the database and the clients that ran. */
async function runClients(upstream: string, dir: string, name: string): Promise<{ db: string; ran: string[] }> {
  const db = path.join(dir, `${name}.db`);
  const proxy: RunningProxy = await startProxy({ upstream, db, name: `clean clients, ${name}`, extraArgs: ['--quiet'] });
  const ran: string[] = [];
  try {
    const run = (client: string, cmd: string, file: string, text: string, queue: string) => {
      writeFileSync(path.join(dir, file), text);
      const r = spawnSync(cmd, [path.join(dir, file), String(proxy.port), queue], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout.trim(), `${name}, ${client}: ${r.stderr}`).toBe('OK');
      ran.push(client);
    };
    const q = `/queue/stompscope-clean-${process.pid}`;
    if (HAVE_PHP) run('php', 'php', 'c.php', PHP, `${q}-php`);
    if (HAVE_PERL) run('perl', 'perl', 'c.pl', PERL, `${q}-perl`);
    if (HAVE_STOMPPY) run('stomp.py', '/usr/bin/python3', 'c.py', PY, `${q}-py`);
    if (HAVE_RUBY) run('ruby', 'ruby', 'c.rb', RUBY, `${q}-rb`);
  } finally {
    const exit = await proxy.stop();
    expect(exit.code, exit.stderr).toBe(0);
  }
  return { db, ran };
}

/** No error and no warning on any connection; 1.0 clients have no heart-beats. */
function expectClean(db: string, ran: string[], broker: string): void {
  expect(ran.length, 'at least one client library is installed').toBeGreaterThan(0);
  const store = openDb(db, { readonly: true });
  try {
    const conns = store.prepare('SELECT id, version, heartbeats_client, heartbeats_broker FROM connections ORDER BY id').all() as
      Array<{ id: number; version: string; heartbeats_client: number; heartbeats_broker: number }>;
    expect(conns).toHaveLength(ran.length);
    for (const [i, c] of conns.entries()) {
      const bad = store.prepare(`SELECT code, severity, message FROM issues WHERE connection_id = ? AND severity != 'note'`).all(c.id);
      expect(bad, `${broker}, ${ran[i]}: ${JSON.stringify(bad)}`).toEqual([]);
      if (c.version === '1.0') expect([c.heartbeats_client, c.heartbeats_broker], ran[i]).toEqual([0, 0]);
    }
    expect(conns.map((c) => c.version)).toEqual(ran.map((n) => (n === 'stomp.py' || n === 'ruby' ? '1.2' : '1.0')));
  } finally {
    store.close();
  }
}

describe.skipIf(process.env.STOMPSCOPE_NO_BROKER === '1')('clean sessions of real clients raise nothing worse than a note', () => {
  const rabbit = inject('rabbitmq');
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-clean-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('against RabbitMQ', async () => {
    if (!rabbit) throw new Error('no RabbitMQ from the global setup (see test/support/global-setup.ts)');
    const { db, ran } = await runClients(`${rabbit.host}:${rabbit.stompPort}`, dir, 'rabbitmq');
    expectClean(db, ran, 'RabbitMQ');
  }, 120_000);

  it('against ActiveMQ 5.17', async () => {
    const amq = await startActiveMQ();
    try {
      const { db, ran } = await runClients(`${amq.host}:${amq.stompPort}`, dir, 'activemq');
      expectClean(db, ran, 'ActiveMQ');
    } finally {
      await amq.stop();
    }
  }, 180_000);
});
