// "Copy as code" for JavaScript: an ES module using @stomp/stompjs 7 (Client, publish, subscribe, ack, nack,
// begin, commit, abort, unsubscribe, deactivate). stompjs speaks to a WebSocket; in Node the module also runs
// over plain TCP through a small net.Socket wrapper given as webSocketFactory (the @stomp/tcp-wrapper
// pattern), so the recorded broker's STOMP port works as it is.
import type { Condition } from '../replay/plan.js';
import { literal, subject, textBody, type CodeModel, type CodeStep, type Value } from './code-model.js';

const str = (s: string) => JSON.stringify(s);

function val(v: Value): string {
  return 'lit' in v ? str(v.lit) : v.constant;
}

function obj(headers: Array<[string, Value]>): string {
  return headers.length ? `{ ${headers.map(([n, v]) => `${str(n)}: ${val(v)}`).join(', ')} }` : '{}';
}

const without = (headers: Array<[string, Value]>, names: string[]) => headers.filter(([n]) => !names.includes(n));

function waitLine(c: Condition, unrequested: Set<string>): string {
  if (c.kind === 'receipt' && unrequested.has(c.id)) return `// (not awaiting RECEIPT ${c.id}: stompjs sent its frame without the receipt header)`;
  if (c.kind === 'receipt') return `await receipt(${str(c.id)}${c.n > 1 ? `, ${c.n}` : ''});`;
  if (c.kind === 'message') return `await message(${str(c.subscription)}, ${c.n});`;
  return '';
}

/** `unrequested` collects the receipt ids of frames stompjs cannot send with their receipt header. */
function call(m: CodeModel, s: CodeStep, unrequested: Set<string>): string[] {
  const h = s.headers;
  const lit = (n: string) => literal(h, n);
  const leftOut = (names: string[]) => {
    const r = without(h, names);
    const receipt = lit('receipt');
    if (receipt !== undefined && !names.includes('receipt')) unrequested.add(receipt);
    return r.length ? [`// stompjs sends this frame without the recorded headers ${r.map(([n]) => n).join(', ')}`] : [];
  };
  switch (s.command) {
    case 'SEND': {
      const text = textBody(s.body);
      const bodyField = s.body.length === 0 ? '' : text !== null ? `body: ${str(text)}, ` : `binaryBody: hex(${str(s.body.toString('hex'))}), `;
      const hadLength = lit('content-length') !== undefined;
      // stompjs writes content-length itself (always for a binary body); leave it out when the recording had none.
      const skip = !hadLength && text !== null ? 'skipContentLengthHeader: true, ' : '';
      return [`client.publish({ destination: ${str(lit('destination') ?? '')}, ${bodyField}${skip}headers: ${obj(without(h, ['destination', 'content-length']))} });`];
    }
    case 'SUBSCRIBE': {
      const id = lit('id') ?? `sub-${s.seq}`;
      return [`subscriptions.set(${str(id)}, client.subscribe(${str(lit('destination') ?? '')}, onMessage, ${obj([['id', { lit: id }], ...without(h, ['destination', 'id'])])}));`];
    }
    case 'UNSUBSCRIBE':
      return [`client.unsubscribe(${str(lit('id') ?? '')}, ${obj(without(h, ['id']))});`];
    case 'BEGIN':
    case 'COMMIT':
    case 'ABORT':
      return [...leftOut(['transaction']), `client.${s.command.toLowerCase()}(${str(lit('transaction') ?? '')});`];
    case 'DISCONNECT':
      return [`client.configure({ disconnectHeaders: ${obj(h)} });`, 'await client.deactivate();'];
    case 'ACK':
    case 'NACK': {
      const verb = s.command.toLowerCase();
      const identity = m.version === '1.2' ? ['id'] : m.version === '1.1' ? ['message-id', 'subscription'] : ['message-id'];
      const rest = obj(without(h, identity));
      if (s.ackOf && s.ackOf !== 'unknown') {
        // The n-th MESSAGE of the subscription this time: its own ack id (1.2) or message-id (1.0, 1.1).
        const idExpr = m.version === '1.2' ? 'm.headers.ack' : "m.headers['message-id']";
        return [
          '{',
          `  const m = await message(${str(s.ackOf.subscription)}, ${s.ackOf.n});`,
          `  client.${verb}(${idExpr}, m.headers.subscription${rest === '{}' ? '' : `, ${rest}`});`,
          '}',
        ];
      }
      return [
        '// names a message of the recorded run (the broker gives new ids each time): expect the broker to refuse it',
        `client.${verb}(${str(lit(identity[0]) ?? '')}, ${str(lit('subscription') ?? '')}, ${rest});`,
      ];
    }
    default:
      return [`// ${s.command}: stompjs has no call for this frame; left out`];
  }
}

export function stompjsModule(m: CodeModel): string {
  const what = subject(m);
  const out: string[] = [
    `// Reproduces ${what} of StompScope session ${m.session}`,
    `// (client ${m.client}, broker ${m.broker}, STOMP ${m.version}) with @stomp/stompjs 7: the same frames, in the same order.`,
  ];
  if (m.frame === null) {
    out.push(
      '// Where the original client had received an answer before its next frame (a RECEIPT, MESSAGEs of a',
      '// subscription), this waits for it, at most TIMEOUT_MS. ACK and NACK name the n-th MESSAGE received on the',
      '// same subscription this time, as brokers hand out new message ids every time.',
    );
  }
  if (!m.connect.recorded) out.push('// The recording has no CONNECT for this connection (the capture began later): a plain one is sent.');
  if (m.connect.command === 'STOMP') out.push('// The original sent STOMP; stompjs always sends CONNECT.');
  for (const s of m.skipped) out.push(`// Left out: ${s} (not a STOMP client frame).`);
  out.push(
    '//',
    '// Generated by `stompscope export --format stompjs`. An ES module: save as .mjs, `npm install @stomp/stompjs`,',
    '// run with `node file.mjs`. In Node it connects over plain TCP to TCP_HOST:TCP_PORT (the recorded broker). To go',
    '// through WebSocket instead (RabbitMQ Web STOMP: ws://host:15674/ws), set BROKER_URL; in a browser only that works.',
    "import { Client, Versions } from '@stomp/stompjs';",
    '',
    `const TCP_HOST = ${str(m.host)};`,
    `const TCP_PORT = ${m.port};`,
    ...(m.webSocket && !m.webSocket.sockjs
      ? [
        `const BROKER_URL = ${str(m.webSocket.url)}; // the recorded WebSocket endpoint${m.webSocket.queryLeftOut ? ' (its query left out: it may hold a token)' : ''}; null: TCP`,
        '// (a global WebSocket: browsers, Node 22+; in Node 20 return `new (await import(\'ws\')).default(BROKER_URL, [\'v12.stomp\'])` from webSocketFactory)',
      ]
      : [
        'const BROKER_URL = null; // e.g. \'ws://127.0.0.1:15674/ws\'',
        ...(m.webSocket ? [`// Recorded over SockJS (${m.webSocket.url}): give stompjs a webSocketFactory returning new SockJS(url) (sockjs-client).`] : []),
      ]),
    `const VHOST = ${m.connect.vhost === null ? 'null' : str(m.connect.vhost)};`,
    'const TIMEOUT_MS = 10000; // longest wait for each answer',
    `const MASK = ${str('********')};`,
  );
  for (const c of m.constants) out.push(`const ${c.name} = ${str(c.value)}; // ${c.comment}`);
  const masked = m.constants.filter((c) => c.masked);
  if (masked.length) {
    out.push(
      '',
      `for (const [name, value] of Object.entries({ ${masked.map((c) => c.name).join(', ')} })) {`,
      '  if (value === MASK) throw new Error(`${name} is masked in the recording: fill it in at the top of this file (a masked value is never sent)`);',
      '}',
    );
  }
  const connectHeaders: Array<[string, Value]> = [];
  if (m.connect.login) connectHeaders.push(['login', m.connect.login]);
  if (m.connect.passcode) connectHeaders.push(['passcode', m.connect.passcode]);
  connectHeaders.push(...m.connect.headers);
  out.push(
    '',
    '/** A net.Socket dressed as the WebSocket-like object stompjs talks to (Node only). */',
    'const net = BROKER_URL ? null : await import(\'node:net\');',
    'class TcpSocket {',
    '  constructor(host, port) {',
    '    this.url = `tcp://${host}:${port}/`;',
    "    this.binaryType = 'arraybuffer';",
    '    this.readyState = 0;',
    '    this.onopen = this.onclose = this.onerror = this.onmessage = null;',
    '    this.socket = net.connect({ host, port }, () => {',
    '      this.readyState = 1;',
    '      this.onopen?.();',
    '    });',
    "    this.socket.on('data', (d) => this.onmessage?.({ data: d.buffer.slice(d.byteOffset, d.byteOffset + d.length) }));",
    "    this.socket.on('close', (hadError) => {",
    '      this.readyState = 3;',
    "      this.onclose?.({ wasClean: !hadError, code: hadError ? 1006 : 1000, reason: '' });",
    '    });',
    "    this.socket.on('error', (e) => this.onerror?.(e));",
    '  }',
    '  send(data) {',
    "    this.socket.write(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));",
    '  }',
    '  close() {',
    '    this.readyState = 2;',
    '    this.socket.end();',
    '  }',
    '  terminate() {',
    '    this.readyState = 2;',
    '    this.socket.destroy();',
    '  }',
    '}',
    '',
    'const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));',
    'const receipts = new Map();',
    'const messages = new Map();',
    'const subscriptions = new Map();',
    'const errors = [];',
    'let wake = () => {};',
    'const onMessage = (m) => {',
    "  const sub = m.headers.subscription ?? '';",
    '  messages.set(sub, [...(messages.get(sub) ?? []), m]);',
    '  wake();',
    '};',
    'async function waitFor(what, ready) {',
    '  const deadline = Date.now() + TIMEOUT_MS;',
    '  while (!ready()) {',
    '    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);',
    '    await new Promise((r) => {',
    '      const t = setTimeout(r, 50);',
    '      wake = () => { clearTimeout(t); r(); };',
    '    });',
    '  }',
    '}',
    'const receipt = (id, n = 1) => waitFor(`RECEIPT ${id}`, () => (receipts.get(id) ?? 0) >= n);',
    'async function message(subscription, n) {',
    '  await waitFor(`MESSAGE #${n} on subscription ${subscription}`, () => (messages.get(subscription)?.length ?? 0) >= n);',
    '  return messages.get(subscription)[n - 1];',
    '}',
    '',
    'const client = new Client({',
    '  ...(BROKER_URL ? { brokerURL: BROKER_URL } : { webSocketFactory: () => new TcpSocket(TCP_HOST, TCP_PORT) }),',
    `  connectHeaders: { ${[...connectHeaders.map(([n, v]) => `${str(n)}: ${val(v)}`), '...(VHOST === null ? {} : { host: VHOST })'].join(', ')} },`,
    `  stompVersions: new Versions([${str(m.version)}]),`,
    `  heartbeatOutgoing: ${m.connect.heartbeat[0]},`,
    `  heartbeatIncoming: ${m.connect.heartbeat[1]},`,
    '  reconnectDelay: 0, // one connection, as recorded',
    '  debug: () => {},',
    '  onUnhandledReceipt: (f) => {',
    "    receipts.set(f.headers['receipt-id'], (receipts.get(f.headers['receipt-id']) ?? 0) + 1);",
    '    wake();',
    '  },',
    '  onUnhandledMessage: onMessage,',
    '  onStompError: (f) => {',
    '    console.error(`ERROR from the broker: ${f.headers.message ?? f.body}`);',
    '    errors.push(f.headers.message ?? f.body);',
    '    wake();',
    '  },',
    '});',
    '',
    'await new Promise((resolve, reject) => {',
    '  const t = setTimeout(() => reject(new Error(`no CONNECTED within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);',
    '  client.onConnect = () => { clearTimeout(t); resolve(); };',
    "  client.onWebSocketClose = () => { clearTimeout(t); reject(new Error('the connection closed before CONNECTED')); };",
    '  client.activate();',
    '});',
    'client.onWebSocketClose = () => {};',
  );
  let disconnected = false;
  const unrequested = new Set<string>();
  for (const s of m.steps) {
    out.push('');
    for (const c of s.wait) if (c.kind !== 'connected') out.push(waitLine(c, unrequested));
    out.push(`// seq ${s.seq}: ${s.command}${s.droppedRepeats.length ? ` (repeated headers left out, the first one wins: ${s.droppedRepeats.join(', ')})` : ''}`);
    out.push(...call(m, s, unrequested));
    if (s.command === 'DISCONNECT') disconnected = true;
  }
  out.push('');
  for (const c of m.finalWait) if (c.kind === 'receipt' && !disconnected) out.push(waitLine(c, unrequested));
  if (!disconnected) out.push('await client.deactivate();');
  out.push("if (errors.length && typeof process !== 'undefined') process.exitCode = 1;", '');
  return out.join('\n');
}
