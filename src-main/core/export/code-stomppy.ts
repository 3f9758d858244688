// "Copy as code" for Python: a runnable script using stomp.py (https://github.com/jasonrbriggs/stomp.py, 8.x:
// stomp.ConnectionNN, connect, subscribe, send, ack, nack, begin, commit, abort, unsubscribe, disconnect).
import type { Condition } from '../replay/plan.js';
import { literal, subject, textBody, type CodeModel, type CodeStep, type Value } from './code-model.js';

/** A Python string literal (JSON's escapes are all valid in Python 3; the file is UTF-8). */
function str(s: string): string {
  return JSON.stringify(s);
}

/** A bytes literal; a long one as adjacent literals in parentheses, about 100 characters a line. */
function bytesLit(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 24) parts.push(bytesPart(b.subarray(i, i + 24)));
  return parts.length <= 1 ? (parts[0] ?? "b''") : `(\n    ${parts.join('\n    ')}\n)`;
}

function bytesPart(b: Buffer): string {
  let out = "b'";
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + "'";
}

function val(v: Value): string {
  return 'lit' in v ? str(v.lit) : v.constant;
}

function dict(headers: Array<[string, Value]>): string {
  return `{${headers.map(([n, v]) => `${str(n)}: ${val(v)}`).join(', ')}}`;
}

function body(b: Buffer): string {
  const t = textBody(b);
  return t !== null ? str(t) : bytesLit(b);
}

const without = (headers: Array<[string, Value]>, names: string[]) => headers.filter(([n]) => !names.includes(n));

function waitLine(c: Condition): string {
  if (c.kind === 'receipt') return `answers.receipt(${str(c.id)}${c.n > 1 ? `, ${c.n}` : ''})`;
  if (c.kind === 'message') return `answers.message(${str(c.subscription)}, ${c.n})`;
  return '';
}

/** The call that sends one recorded frame; `send_frame` when no higher-level call says exactly the same. */
function call(m: CodeModel, s: CodeStep): string[] {
  const h = s.headers;
  const lit = (n: string) => literal(h, n);
  const rest = (names: string[]) => {
    const r = without(h, names);
    return r.length ? `, headers=${dict(r)}` : '';
  };
  const raw = () => [`conn.send_frame(${str(s.command)}, ${dict(h)}${s.body.length ? `, ${body(s.body)}` : ''})`];
  const kw = (names: string[]) => names.flatMap((n) => (lit(n) !== undefined ? [`${n}=${str(lit(n)!)}`] : []));
  switch (s.command) {
    case 'SEND': {
      if (lit('destination') === undefined) return raw();
      return [`conn.send(destination=${str(lit('destination')!)}, body=${body(s.body)}${rest(['destination'])})`];
    }
    case 'SUBSCRIBE': {
      const id = lit('id');
      if (lit('destination') === undefined || (id === undefined && m.version !== '1.0')) return raw();
      const args = [`destination=${str(lit('destination')!)}`, ...(id !== undefined ? [`id=${str(id)}`] : []), `ack=${str(lit('ack') ?? 'auto')}`];
      return [`conn.subscribe(${args.join(', ')}${rest(['destination', 'id', 'ack'])})`];
    }
    case 'UNSUBSCRIBE': {
      if (m.version === '1.0') return [`conn.unsubscribe(${kw(['destination', 'id']).join(', ')}${rest(['destination', 'id'])})`];
      if (lit('id') === undefined) return raw();
      return [`conn.unsubscribe(id=${str(lit('id')!)}${rest(['id'])})`];
    }
    case 'BEGIN':
    case 'COMMIT':
    case 'ABORT': {
      if (lit('transaction') === undefined) return raw();
      return [`conn.${s.command.toLowerCase()}(transaction=${str(lit('transaction')!)}${rest(['transaction'])})`];
    }
    case 'DISCONNECT': {
      // stomp.py always asks for a receipt on DISCONNECT, and waits for it before closing the socket.
      return [`conn.disconnect(receipt=${str(lit('receipt') ?? 'stompscope-disconnect')}${rest(['receipt'])})`];
    }
    case 'ACK':
    case 'NACK':
      return ackCall(m, s);
    default:
      return raw();
  }
}

function ackCall(m: CodeModel, s: CodeStep): string[] {
  const verb = s.command.toLowerCase();
  const identity = m.version === '1.2' ? ['id'] : m.version === '1.1' ? ['message-id', 'subscription'] : ['message-id'];
  const extra = without(s.headers, [...identity, 'transaction', 'receipt']);
  const opt = ['transaction', 'receipt'].flatMap((n) => (literal(s.headers, n) !== undefined ? [`${n}=${str(literal(s.headers, n)!)}`] : []));
  const lines: string[] = [];
  let ids: string[];
  if (s.ackOf && s.ackOf !== 'unknown') {
    lines.push(`m = answers.message(${str(s.ackOf.subscription)}, ${s.ackOf.n})`);
    ids = m.version === '1.2' ? [`m["ack"]`] : m.version === '1.1' ? [`m["message-id"]`, `m["subscription"]`] : [`m["message-id"]`];
  } else {
    lines.push(`# names a message of the recorded run (the broker gives new ids each time): expect the broker to refuse it`);
    ids = identity.map((n) => str(literal(s.headers, n) ?? ''));
  }
  if (extra.length || (m.version === '1.0' && verb === 'nack')) {
    const idHeaders = identity.map((n, i) => `${str(n)}: ${ids[i]}`);
    const others = without(s.headers, identity).map(([n, v]) => `${str(n)}: ${val(v)}`);
    lines.push(`conn.send_frame(${str(s.command)}, {${[...idHeaders, ...others].join(', ')}})`);
  } else lines.push(`conn.${verb}(${[...ids, ...opt].join(', ')})`);
  return lines;
}

export function stomppyScript(m: CodeModel): string {
  const cls = m.version === '1.2' ? 'Connection12' : m.version === '1.1' ? 'Connection11' : 'Connection10';
  const what = subject(m);
  const out: string[] = [
    '#!/usr/bin/env python3',
    `# Reproduces ${what} of StompScope session ${m.session}`,
    `# (client ${m.client}, broker ${m.broker}, STOMP ${m.version}) with stomp.py: the same frames, in the same order.`,
  ];
  if (m.frame === null) {
    out.push(
      '# Where the original client had received an answer before its next frame (a RECEIPT, MESSAGEs of a',
      '# subscription), this script waits for it, at most TIMEOUT seconds. ACK and NACK name the n-th MESSAGE this',
      '# script received on the same subscription, as brokers hand out new message ids every time.',
    );
  }
  if (!m.connect.recorded) out.push('# The recording has no CONNECT for this connection (the capture began later): a plain one is sent.');
  for (const s of m.skipped) out.push(`# Left out: ${s} (not a STOMP client frame stomp.py can send).`);
  out.push(
    '# Generated by `stompscope export --format stomp.py`. Needs stomp.py 8 (Debian: python3-stomp; pip: stomp.py).',
    'import sys',
    'import threading',
    '',
    'import stomp',
    '',
    '# Where to send it: the recorded broker, unless you change it here.',
    `HOST = ${str(m.host)}`,
    m.webSocket
      ? `PORT = ${m.port}  # recorded over ${m.webSocket.sockjs ? 'SockJS' : 'WebSocket'} (${m.webSocket.url}); stomp.py speaks plain TCP: the broker's STOMP port`
      : `PORT = ${m.port}`,
    `VHOST = ${m.connect.vhost === null ? 'None' : str(m.connect.vhost)}`,
    'TIMEOUT = 10.0  # seconds to wait for each answer',
    `MASK = ${str('********')}`,
  );
  for (const c of m.constants) out.push(`${c.name} = ${str(c.value)}  # ${c.comment}`);
  const masked = m.constants.filter((c) => c.masked);
  if (masked.length) {
    out.push(
      '',
      `for name, value in (${masked.map((c) => `(${str(c.name)}, ${c.name})`).join(', ')},):`,
      '    if value == MASK:',
      "        sys.exit(f'{name} is masked in the recording: fill it in at the top of this script (a masked value is never sent)')",
    );
  }
  out.push(
    '',
    '',
    'class Answers(stomp.ConnectionListener):',
    '    """What the broker sent: RECEIPTs by id, MESSAGE headers by subscription, ERRORs."""',
    '',
    '    def __init__(self):',
    '        self.cond = threading.Condition()',
    '        self.receipts = {}',
    '        self.messages = {}',
    '        self.errors = []',
    '',
    '    def on_receipt(self, frame):',
    '        with self.cond:',
    "            rid = frame.headers.get('receipt-id')",
    '            self.receipts[rid] = self.receipts.get(rid, 0) + 1',
    '            self.cond.notify_all()',
    '',
    '    def on_message(self, frame):',
    '        with self.cond:',
    "            self.messages.setdefault(frame.headers.get('subscription', ''), []).append(frame.headers)",
    '            self.cond.notify_all()',
    '',
    '    def on_error(self, frame):',
    '        with self.cond:',
    "            message = frame.headers.get('message') or frame.body",
    "            print(f'ERROR from the broker: {message}', file=sys.stderr)",
    '            self.errors.append(message)',
    '            self.cond.notify_all()',
    '',
    '    def wait(self, what, ready):',
    '        with self.cond:',
    '            if not self.cond.wait_for(ready, TIMEOUT):',
    "                sys.exit(f'timed out after {TIMEOUT} s waiting for {what}')",
    '',
    '    def receipt(self, receipt_id, n=1):',
    "        self.wait(f'RECEIPT {receipt_id}', lambda: self.receipts.get(receipt_id, 0) >= n)",
    '',
    '    def message(self, subscription, n):',
    "        self.wait(f'MESSAGE #{n} on subscription {subscription}', lambda: len(self.messages.get(subscription, [])) >= n)",
    '        return self.messages[subscription][n - 1]',
    '',
    '',
  );
  const opts = ['[(HOST, PORT)]'];
  if (m.version !== '1.0') opts.push('vhost=VHOST', `heartbeats=(${m.connect.heartbeat[0]}, ${m.connect.heartbeat[1]})`);
  // content-length exactly as recorded (ActiveMQ and Artemis make a BytesMessage of a SEND that has one).
  opts.push('auto_content_length=False', 'auto_decode=False');
  out.push(`conn = stomp.${cls}(${opts.join(', ')})`, 'answers = Answers()', "conn.set_listener('answers', answers)");
  const connectArgs = [m.connect.login ? val(m.connect.login) : 'None', m.connect.passcode ? val(m.connect.passcode) : 'None', 'wait=True'];
  const extra = [...m.connect.headers];
  if (m.version === '1.0' && m.connect.vhost !== null) extra.unshift(['host', { constant: 'VHOST' }]);
  if (extra.length) connectArgs.push(`headers=${dict(extra)}`);
  if (m.version !== '1.0' && m.connect.command === 'CONNECT') connectArgs.push('with_connect_command=True');
  out.push(`conn.connect(${connectArgs.join(', ')})`);
  let disconnected = false;
  for (const s of m.steps) {
    out.push('');
    for (const c of s.wait) if (c.kind !== 'connected') out.push(waitLine(c));
    out.push(`# seq ${s.seq}: ${s.command}${s.droppedRepeats.length ? ` (repeated headers left out, the first one wins: ${s.droppedRepeats.join(', ')})` : ''}`);
    out.push(...call(m, s));
    if (s.command === 'DISCONNECT') disconnected = true;
  }
  out.push('');
  for (const c of m.finalWait) if (c.kind === 'receipt' && !disconnected) out.push(waitLine(c));
  if (!disconnected) out.push("conn.disconnect(receipt='stompscope-disconnect')");
  out.push('sys.exit(1 if answers.errors else 0)', '');
  return out.join('\n');
}
