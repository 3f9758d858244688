// Fuzzing the API message validator (validateArgs in shared/api/contract.ts), which stands between untrusted messages
// (Electron IPC, the web host's WebSocket) and the core. Inputs: every command with arbitrary JSON-like values,
// and mutations of valid arguments (a field removed, retyped, pushed to an edge: -1, 2^53, NaN, huge strings,
// nested junk, prototype keys). Invariants: validateArgs returns the arguments or throws ApiError('bad-request')
// with a message naming the command, nothing else; and arguments it lets through never make the core throw
// anything but an ApiError (checked against a real core on a small database, for the commands that only read
// or rename).
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, COMMAND_NAMES, validateArgs, type CommandName } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { conversation, seedSession } from '../support/seed.js';
import { fuzz, Rng, RUNS, timeoutFor } from './support.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const FRAME = { command: 'SEND', headers: [['destination', '/q']], bodyBase64: 'aGk=' };

/** One valid argument object per command (where we know one); the rest start from {}. */
const VALID: Partial<Record<CommandName, Record<string, unknown>>> = {
  'sessions.list': {}, 'proxy.list': {},
  'sessions.rename': { session: 1, name: 'x' }, 'sessions.delete': { session: 1 }, 'connections.list': { session: 1 }, 'proxy.stop': { session: 1 },
  'frames.page': { session: 1, after: 0, limit: 10, filter: 'command == "SEND"' }, 'frames.query': { session: 1, filter: '' },
  'frames.window': { query: 1, start: 0, count: 10 }, 'frames.indexOf': { query: 1, id: 3 }, 'frames.close': { query: 1 },
  'frames.find': { query: 1, text: 'x', from: 0, backwards: true }, 'session.vocabulary': { session: 1 },
  'frame.detail': { id: 1, maxBytes: 100, revealSecrets: false }, 'frame.previousOnDestination': { id: 2 },
  'heartbeats.range': { session: 1, from: 0, to: 10 }, 'diagram.export': { query: 1, maxFrames: 10 }, 'filter.check': { filter: 'issue' },
  'session.export': { session: 1, filter: '' }, 'import.start': { upload: 'abc', name: 'x.pcap' },
  'proxy.start': { listen: '127.0.0.1:0', upstream: '127.0.0.1:61613', upstreamTls: true, ca: PEM },
  'replay.start': { connection: 1, target: '127.0.0.1:61613', speed: 2, login: 'u', passcode: 'p', mapDestination: [['/a', '/b']], until: 5, timeoutMs: 1000 },
  'replay.diff': { a: 1, b: 2, includeVolatile: true }, 'frame.resendDraft': { id: 1 },
  'frame.resend': { id: 1, target: '127.0.0.1:61613', connect: { command: 'CONNECT', headers: [['host', '/']], bodyBase64: '' }, frame: FRAME },
  'frame.inject': { connection: 1, frame: FRAME, timeoutMs: 1000 },
  'session.expertInfo': { session: 1, connection: 1, entries: 10 }, 'frame.links': { id: 1, limit: 5 }, 'diagram.links': { ids: [1, 2, 3] },
  'session.stats': { session: 1, buckets: 10, destinations: 5 },
  'connections.overview': { session: 1 }, 'connection.follow': { connection: 1, after: 2, limit: 5, revealSecrets: false },
};

/** The commands a fuzz may run against the core: reads, and rename (no network, nothing long-lived). */
const SAFE_TO_RUN = new Set<string>([
  'sessions.list', 'sessions.rename', 'connections.list', 'frames.page', 'frames.query', 'frames.window', 'frames.indexOf', 'frames.close',
  'frames.find', 'session.vocabulary',
  'frame.detail', 'frame.previousOnDestination', 'heartbeats.range', 'diagram.export', 'filter.check', 'replay.diff', 'frame.resendDraft',
  'session.expertInfo', 'frame.links', 'diagram.links', 'session.stats', 'proxy.list', 'import.start', 'connections.overview', 'connection.follow',
]);

const NASTY: unknown[] = [
  undefined, null, true, false, 0, -1, 1, 1.5, -0, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 31, Number.MAX_SAFE_INTEGER + 2, '', ' ', '1', 'x'.repeat(5000),
  '\n', '\0', '********', '-----BEGIN CERTIFICATE-----', [], [1], [[]], [['a']], [['a', 'b', 'c']], {}, { command: 'SEND' }, { __proto__: null }, [null],
  JSON.parse('{"__proto__": {"polluted": true}}'), { toString: 'x', valueOf: 1 }, 'a'.repeat(70_000),
];

function mutateArgs(base: Record<string, unknown>, rng: Rng): unknown {
  if (rng.chance(0.05)) return rng.pick([null, undefined, 'args', 1, [], [base], true]);
  const a: Record<string, unknown> = structuredClone(base);
  const keys = Object.keys(a);
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const key = keys.length && rng.chance(0.85) ? rng.pick(keys) : rng.pick(['extra', '__proto__', 'constructor', 'session', 'id', 'connect', 'ca', 'tlsKey', 'tlsCert', 'insecure', 'targetTls']);
    switch (rng.int(5)) {
      case 0:
        delete a[key];
        break;
      case 1: {
        // Inside a nested value (a frame's headers, a destination mapping).
        const v = a[key];
        if (v && typeof v === 'object') {
          const inner = v as Record<string, unknown>;
          const ik = Object.keys(inner);
          if (ik.length) inner[rng.pick(ik)] = rng.pick(NASTY);
        } else a[key] = rng.pick(NASTY);
        break;
      }
      case 2: {
        const v = a[key];
        a[key] = typeof v === 'number' ? rng.pick([v - 1, v + 1, -v, v * 1e6, v + 0.5]) : typeof v === 'string' ? v + rng.pick(['\n', '\r', '\0', 'x'.repeat(300), '']) : rng.pick(NASTY);
        break;
      }
      default:
        a[key] = rng.pick(NASTY);
    }
  }
  return a;
}

/** validateArgs's contract for one call: the arguments back, or a clean bad-request. */
function validated(cmd: CommandName, args: unknown): boolean {
  try {
    const r = validateArgs(cmd, args);
    if (r !== args && !(args === undefined || args === null)) throw new Error(`${cmd}: validateArgs returned something else than its input`);
    return true;
  } catch (e) {
    if (!(e instanceof ApiError)) throw new Error(`${cmd}: ${(e as Error).constructor.name} instead of ApiError: ${(e as Error).message} (args ${preview(args)})`);
    if (e.code !== 'bad-request' || !e.message.startsWith(`${cmd}:`) || e.message.length < cmd.length + 5) {
      throw new Error(`${cmd}: unclean error ${e.code} ${JSON.stringify(e.message)}`);
    }
    return false;
  }
}

function preview(v: unknown): string {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 200);
  } catch {
    return String(v);
  }
}

describe('fuzz: API message validation', () => {
  let dir = '';
  let core: Core;
  const late: string[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-fuzz-api-'));
    core = Core.open(path.join(dir, 'a.db'));
    seedSession(core.db, { name: 'one', connections: 2, frames: conversation(20, 2) });
    seedSession(core.db, { name: 'two', connections: 1, frames: conversation(5) });
  });
  afterAll(async () => {
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('knows valid arguments for every command it fuzzes from seeds, and they pass', () => {
    for (const [cmd, args] of Object.entries(VALID)) {
      if (!(COMMAND_NAMES as readonly string[]).includes(cmd)) continue; // a command that was renamed or removed
      expect(validated(cmd as CommandName, structuredClone(args)), cmd).toBe(true);
    }
  });

  it(`arbitrary values for every command (${RUNS} cases): the arguments back, or a clean bad-request`, async () => {
    const args = fc.oneof(
      fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }),
      fc.dictionary(fc.constantFrom('session', 'id', 'query', 'filter', 'name', 'frame', 'connect', 'target', 'listen', 'upstream', 'ids', 'upload'), fc.jsonValue({ maxDepth: 2 })),
    );
    await fuzz('api/anything', fc.tuple(fc.constantFrom(...COMMAND_NAMES), args), ([cmd, a]) => {
      validated(cmd, a);
    });
  }, timeoutFor(RUNS, 100));

  it(`mutated valid arguments (${RUNS} cases): validated cleanly; what passes never makes the core throw a non-API error`, async () => {
    let ran = 0;
    let passed = 0;
    await fuzz('api/mutation', fc.tuple(fc.constantFrom(...COMMAND_NAMES), fc.integer()), ([cmd, seed]) => {
      const rng = new Rng(seed);
      const args = mutateArgs(VALID[cmd] ?? {}, rng);
      if (!validated(cmd, args)) return;
      passed++;
      // Only some of the accepted ones run (the core is slower than the validator).
      if (!SAFE_TO_RUN.has(cmd) || !rng.chance(0.2)) return;
      ran++;
      const fail = (e: unknown) => {
        if (!(e instanceof ApiError)) late.push(`${cmd} ${preview(args)}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      };
      try {
        const r = core.invoke(cmd, args as never) as unknown;
        if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(() => {}, fail);
        else if (cmd === 'frames.query' && r && typeof r === 'object') core.invoke('frames.close', { query: (r as { query: number }).query });
      } catch (e) {
        fail(e);
      }
      if (late.length) throw new Error(late[0]);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(late).toEqual([]);
    // Not vacuous: mutations that stay valid reach the core.
    expect(passed).toBeGreaterThan(RUNS / 20);
    expect(ran).toBeGreaterThan(RUNS / 200);
  }, timeoutFor(RUNS, 200));
});
