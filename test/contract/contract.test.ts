// The contract enumerated: every command of the table has a schema and a description, its validation refuses
// wrong arguments, and it makes a round trip through both transports the page uses — the web host's WebSocket and
// the Electron bridge (IPC played with real structured clone) — to a real core, coming back as a result or as an
// ApiError with the same code on both. Each transport has its own core over an identically seeded database, so a
// command that changes something (rename, delete, start a proxy) gives both the same answer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiClient, ApiError, COMMAND_NAMES, CONTRACT, validateArgs, type CommandArgs, type CommandName, type EditedFrameDto, type Shape,
} from '../../shared/api/index.js';
import { openDb, type Db } from '../../src-main/core/store/db.js';
import { WebSocketChannel } from '../../src-renderer/src/lib/channel.js';
import { startElectronFixture, type ElectronFixture } from '../support/electron-client.js';
import { conversation, seedSession } from '../support/seed.js';
import { pageWebSocket, startWebFixture, type WebFixture } from '../support/web-host.js';

vi.mock('electron', async () => (await import('../support/electron-mock.js')).electronModule());

// Compile-time: the table's keys are exactly the command names (a command without an entry, or an entry without
// a result type, does not compile).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const covered: Equal<keyof typeof CONTRACT, CommandName> = true;

/** What the examples refer to: the same ids on both databases, and the query each transport opened. */
interface Ctx {
  session: number;
  spare: number;
  connection: number;
  send: number;
  query: number;
}

const FRAME: EditedFrameDto = { command: 'SEND', headers: [['destination', '/queue/x']], bodyBase64: 'aGk=' };

/** One valid argument object per command; a command without one does not compile. */
const EXAMPLES: { [C in CommandName]: (x: Ctx) => CommandArgs<C> } = {
  'sessions.list': () => ({}),
  'sessions.rename': (x) => ({ session: x.session, name: 'renamed' }),
  'sessions.delete': (x) => ({ session: x.spare }),
  'connections.list': (x) => ({ session: x.session }),
  'frames.page': (x) => ({ session: x.session, after: 0, limit: 5, filter: 'command == "SEND"' }),
  'frames.query': (x) => ({ session: x.session, filter: '' }),
  'frames.window': (x) => ({ query: x.query, start: 0, count: 3 }),
  'frames.indexOf': (x) => ({ query: x.query, id: x.send }),
  'frames.close': (x) => ({ query: x.query }),
  'frames.find': (x) => ({ query: x.query, text: 'send', from: -1 }),
  'session.vocabulary': (x) => ({ session: x.session }),
  'frame.detail': (x) => ({ id: x.send, maxBytes: 100 }),
  'frame.previousOnDestination': (x) => ({ id: x.send }),
  'heartbeats.range': (x) => ({ session: x.session, from: 0, to: Number.MAX_SAFE_INTEGER }),
  'diagram.export': (x) => ({ query: x.query, maxFrames: 10 }),
  'filter.check': () => ({ filter: 'size > "x"' }),
  'proxy.start': () => ({ listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }),
  'proxy.stop': (x) => ({ session: x.session }),
  'proxy.list': () => ({}),
  'proxy.rules': (x) => ({ session: x.session }),
  'proxy.setRules': (x) => ({ session: x.session, rules: [{ when: 'command == "SEND"', do: 'drop' }] }),
  'intercept.list': () => ({}),
  'intercept.decide': () => ({ id: 1, do: 'forward' }),
  'import.start': () => ({ upload: 'no-such-upload' }),
  'capture.interfaces': () => ({}),
  'capture.start': () => ({ interface: 'nosuch0' }),
  'capture.stop': (x) => ({ session: x.session }),
  'capture.list': () => ({}),
  'session.export': (x) => ({ session: x.session, filter: 'command == "SEND"' }),
  'export.code': (x) => ({ frame: x.send, language: 'stomp.py' }),
  'replay.start': (x) => ({ connection: x.connection, target: '127.0.0.1:1', asFastAsPossible: true, timeoutMs: 1000 }),
  'replay.diff': (x) => ({ a: x.connection, b: x.connection }),
  'frame.resendDraft': (x) => ({ id: x.send }),
  'frame.resend': (x) => ({ id: x.send, target: '127.0.0.1:1', connect: null, frame: FRAME, timeoutMs: 1000 }),
  'frame.inject': (x) => ({ connection: x.connection, frame: FRAME, timeoutMs: 1000 }),
  'session.expertInfo': (x) => ({ session: x.session, entries: 5 }),
  'frame.links': (x) => ({ id: x.send, limit: 5 }),
  'diagram.links': (x) => ({ ids: [x.send] }),
  'session.stats': (x) => ({ session: x.session, buckets: 5 }),
  'connections.overview': (x) => ({ session: x.session }),
  'connection.follow': (x) => ({ connection: x.connection, limit: 5 }),
};

/** The order of the round trips: the query is opened first and closed last but one; the spare session deleted last. */
const ORDER: CommandName[] = [
  'frames.query',
  ...COMMAND_NAMES.filter((c) => c !== 'frames.query' && c !== 'frames.close' && c !== 'sessions.delete'),
  'frames.close', 'sessions.delete',
];

const CTX: Omit<Ctx, 'query'> = { session: 0, spare: 0, connection: 0, send: 0 };

function seed(db: Db): void {
  const seeded = seedSession(db, { name: 'seeded', connections: 1, frames: conversation(3) });
  const spare = seedSession(db, { name: 'spare', connections: 1, frames: conversation(1) });
  const send = db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = 'SEND' ORDER BY id LIMIT 1`).pluck().get(seeded.session) as number;
  Object.assign(CTX, { session: seeded.session, spare: spare.session, connection: seeded.connections[0], send });
}

/** What a command came back as, comparable across transports: the result's shape, or the error's code. */
type Outcome = { ok: true; keys: string } | { ok: false; code: string; message: string };

async function roundTrip(api: ApiClient): Promise<Map<CommandName, Outcome>> {
  const out = new Map<CommandName, Outcome>();
  let query = 0;
  for (const cmd of ORDER) {
    const args = EXAMPLES[cmd]({ ...CTX, query }) as never;
    try {
      const r = (await api.invoke(cmd, args)) as unknown;
      if (cmd === 'frames.query') query = (r as { query: number }).query;
      out.set(cmd, { ok: true, keys: Array.isArray(r) ? `list of ${r.length}` : Object.keys(r as object).sort().join(',') });
    } catch (e) {
      expect(e, `${cmd}: ${String(e)}`).toBeInstanceOf(ApiError);
      out.set(cmd, { ok: false, code: (e as ApiError).code, message: (e as ApiError).message });
    }
  }
  return out;
}

describe('the contract, command by command', () => {
  it('the table covers every command (checked when this file compiles)', () => {
    expect(covered).toBe(true);
    expect(Object.keys(CONTRACT).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(EXAMPLES).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(COMMAND_NAMES)('%s: has an object schema and a description, takes its example, refuses wrong arguments', (cmd) => {
    const spec = CONTRACT[cmd];
    expect(spec.description.length).toBeGreaterThan(10);
    expect(spec.args.type).toBe('object');
    const example = EXAMPLES[cmd]({ session: 1, spare: 2, connection: 1, send: 5, query: 1 }) as Record<string, unknown>;
    expect(validateArgs(cmd, example)).toBe(example);
    const refused = (args: unknown) => {
      try {
        validateArgs(cmd, args);
      } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        expect((e as ApiError).code).toBe('bad-request');
        expect((e as ApiError).message.startsWith(`${cmd}: `)).toBe(true);
        return (e as ApiError).message;
      }
      throw new Error(`${cmd} took ${JSON.stringify(args)}`);
    };
    for (const junk of ['args', 42, [example], true]) expect(refused(junk)).toBe(`${cmd}: arguments must be an object`);
    // Every required argument is required: the example without it is refused, naming it.
    const fields = spec.args.fields as Shape;
    const required = Object.keys(fields).filter((k) => !fields[k].optional);
    for (const name of required) {
      const { [name]: _dropped, ...rest } = example;
      expect(refused(rest)).toMatch(name === 'target' ? /target/ : new RegExp(`'${name}'`));
    }
  });

  describe('round trips through the web host and the Electron bridge', () => {
    let web: WebFixture;
    let desktop: ElectronFixture;
    let dir = '';
    const realWebSocket = globalThis.WebSocket;
    let overWeb: Map<CommandName, Outcome>;
    let overIpc: Map<CommandName, Outcome>;

    beforeAll(async () => {
      web = await startWebFixture({ renderer: 'stub' });
      seed(web.core.db);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-contract-'));
      const db = openDb(path.join(dir, 'e.db'));
      const webCtx = { ...CTX };
      seed(db);
      db.close();
      expect(CTX).toEqual(webCtx);
      desktop = await startElectronFixture(path.join(dir, 'e.db'));
      // The page's own WebSocket transport, with `ws` playing the browser's WebSocket.
      globalThis.WebSocket = pageWebSocket(web.origin);
      overWeb = await roundTrip(new ApiClient(new WebSocketChannel(web.apiUrl, web.host.token)));
      overIpc = await roundTrip(desktop.api);
    });
    afterAll(async () => {
      globalThis.WebSocket = realWebSocket;
      await desktop?.close();
      await web?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it.each(COMMAND_NAMES)('%s: the same answer over both transports', (cmd) => {
      const w = overWeb.get(cmd)!;
      const e = overIpc.get(cmd)!;
      expect(w).toBeDefined();
      expect(e).toEqual(w);
    });

    it('reached the core: most commands answered, and the failures are the core\'s own', () => {
      const failed = [...overWeb].filter(([, o]) => !o.ok).map(([c, o]) => `${c}: ${(o as { code: string }).code}`);
      // Sending to a port nothing listens on, injecting into a connection no proxy holds, importing an upload never
      // made, capturing on an interface that does not exist, stopping a capture never started, the rules of a session no
      // proxy of this core records: refused by the core (not by validation).
      expect(failed.sort()).toEqual(['capture.start: bad-request', 'capture.stop: not-found', 'frame.inject: conflict', 'frame.resend: conflict', 'import.start: not-found', 'proxy.rules: not-found', 'proxy.setRules: not-found']);
      expect(overWeb.get('filter.check')).toEqual({ ok: true, keys: 'error' });
      expect(overWeb.get('sessions.delete')).toEqual({ ok: true, keys: 'deleted' });
    });
  });
});
