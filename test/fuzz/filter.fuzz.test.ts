// Fuzzing the display-filter language: the parser (shared/filter/parser.ts) and its compilation to SQL
// (src-main/core/read/query/compile.ts), run against one small database with the real SQL functions. Inputs are
// generated expressions (fields, operators, values with injection strings, deep nesting), token soup, and
// mutations of valid filters.
// Invariants: parsing either gives an expression or throws FilterSyntaxError with a message and a place inside
// the text, nothing else; a parsed filter compiles; the SQL text holds no quote (values are never spliced in)
// and exactly one placeholder per parameter; it prepares and runs in SQLite (no syntax error, no "too deep");
// and after all of it the database still has its tables and its frames.
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, MAX_FILTER_LENGTH } from '../../shared/api/index.js';
import { FilterSyntaxError } from '../../shared/filter/ast.js';
import { parseFilter } from '../../shared/filter/parser.js';
import { Core } from '../../src-main/core/api.js';
import { compileFilter } from '../../src-main/core/read/query/compile.js';
import { conditionOf, fromClause } from '../../src-main/core/read/query/frames-query.js';
import { registerQueryFunctions } from '../../src-main/core/read/query/functions.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { conversation, seedSession } from '../support/seed.js';
import { fuzz, mutate, Rng, RUNS, te, timeoutFor } from './support.js';

const INJECTIONS = [
  `'; DROP TABLE frames; --`, `"; DROP TABLE frames; --`, `x') OR 1=1 --`, `x" OR "1"="1`, `%`, `_`, `\\`, `?`, `?1`, `:name`, `@p`, `$x`,
  `*/ DELETE FROM sessions /*`, `') UNION SELECT sql FROM sqlite_master --`, `\u0000`, `日本`, ``,
];

const FIELDS = ['command', 'cmd', 'destination', 'dest', 'from', 'dir', 'conn', 'connection', 'size', 'len', 'seq', 'no', 'frame', 'body', 'issue', 'issues', 'issue.code', 'issue.severity', 'frame.injected'];
const OPS = ['==', '=', '!=', '<', '<=', '>', '>=', 'contains', 'matches', '~'];
const quoteStr = (s: string) => JSON.stringify(s).replace(/\\u0000/g, '\\n');

/** Generated expressions: mostly well-formed, with type errors and odd values mixed in. */
const value = fc.oneof(
  fc.constantFrom(...INJECTIONS).map(quoteStr),
  fc.constantFrom('client', 'broker', 'SEND', 'MESSAGE', '1', '0', '42', '1k', '2MiB', '99999999999999999999', 'a.b-c/d:e'),
  fc.string({ maxLength: 12 }).map(quoteStr),
  fc.constantFrom('"(a+)+$"', '"^x"', '"["', "'single'", '"esc\\t\\r\\n"'),
);
const test = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...OPS), value).map(([f, o, v]) => `${f} ${o} ${v}`),
  fc.constantFrom(...FIELDS),
  fc.tuple(fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 8 })), fc.constantFrom(...OPS), value)
    .map(([h, o, v]) => `header[${quoteStr(h)}] ${o} ${v}`),
);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    test,
    fc.tuple(tie('e'), fc.constantFrom(' and ', ' or ', '&&', '||', ' AND '), tie('e')).map(([a, op, b]) => a + op + b),
    tie('e').map((e) => `not ${e}`),
    tie('e').map((e) => `!${e}`),
    tie('e').map((e) => `(${e})`),
  ),
})).e;

/** Deep nesting and long chains, within the length the API accepts (the CLI accepts any). */
const deep = fc.tuple(fc.constantFrom('(', 'not ', '!', '!(', 'not('), fc.integer({ min: 1, max: 1500 }), fc.constantFrom(' or ', ' and ', '||'), fc.integer({ min: 0, max: 1100 }))
  .map(([open, n, join, chain]) => {
    const close = open.includes('(') ? ')' : '';
    const inner = Array.from({ length: chain + 1 }, () => 'size > 1').join(join);
    return (open.repeat(n) + inner + close.repeat(n)).slice(0, 20_000);
  });

const TOKENS = [...FIELDS, ...OPS, 'header', '[', ']', '(', ')', '"', "'", '\\', 'and', 'or', 'not', '!', '&&', '||', '1', '1k', '0x1', '-1', ' ', '"a"', 'é', '\t', '$', '#'];
const soup = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })), { maxLength: 16 }).map((t) => t.join(fc.sample(fc.constantFrom(' ', ''), 1)[0]));

const VALID = [
  'command == "SEND" and destination contains "orders"', 'header["content-type"] == "application/json"', 'from == broker',
  'size > 1k', 'issue', 'not (conn == 3 or body contains "42")', '!issue && size >= 10 || seq < 2', 'body matches "^a.*z$"',
  'issue == "bad-content-length"', 'header["x\\"y"] != "z" and no <= 5', "dest ~ 'q' or cmd = MESSAGE",
].map((s) => te.encode(s));

describe('fuzz: display filters', () => {
  let dir = '';
  let core: Core;
  let bodies: StoreReader | undefined;
  let tablesBefore = '';
  let framesBefore = 0;
  let session = 0;
  const td = new TextDecoder();
  const statements = new Map<string, unknown>();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-fuzz-filter-'));
    core = Core.open(path.join(dir, 'f.db'));
    session = seedSession(core.db, { name: 'fuzz', connections: 2, frames: conversation(20, 2) }).session;
    seedSession(core.db, {
      name: 'hostile', connections: 1,
      frames: INJECTIONS.map((s) => ({ conn: 1, from: 'client' as const, command: 'SEND', headers: [['destination', s], [s || 'empty', s]] as [string, string][], body: s })),
    });
    // The compiled SQL runs here on the core's own connection (the core runs filters in its read workers): it
    // gets the same SQLite functions, bodies read through a second connection.
    bodies = new StoreReader(openDb(path.join(dir, 'f.db'), { readonly: true }));
    registerQueryFunctions(core.db, bodies);
    tablesBefore = JSON.stringify(core.db.prepare(`SELECT type, name FROM sqlite_master ORDER BY name`).all());
    framesBefore = core.db.prepare('SELECT count(*) FROM frames').pluck().get() as number;
  });
  afterAll(async () => {
    bodies?.close();
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Everything that must hold for any filter text. */
  function checkFilter(text: string): void {
    let parsed;
    try {
      parsed = parseFilter(text);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw new Error(`${(e as Error).constructor.name} (not a FilterSyntaxError) for ${JSON.stringify(text.slice(0, 200))}: ${(e as Error).message}`);
      if (!e.message || !(e.start >= 0 && e.start <= text.length && e.end > e.start && e.end <= text.length + 1)) {
        throw new Error(`bad error ${JSON.stringify([e.message, e.start, e.end])} for a ${text.length}-character filter`);
      }
      // The core reports it as the clean API error.
      try {
        conditionOf(text);
      } catch (a) {
        if (!(a instanceof ApiError) || a.code !== 'bad-filter' || a.detail?.start !== e.start) throw new Error(`conditionOf: ${String(a)}`);
        return;
      }
      throw new Error('conditionOf accepted what parseFilter refused');
    }
    const c = compileFilter(parsed);
    if (/['"]/.test(c.sql)) throw new Error(`a quote in the SQL: ${c.sql.slice(0, 200)}`);
    const marks = c.sql.split('?').length - 1;
    if (marks !== c.params.length) throw new Error(`${marks} placeholders, ${c.params.length} parameters`);
    for (const p of c.params) if (typeof p !== 'string' && typeof p !== 'number') throw new Error(`parameter ${String(p)}`);
    // Statements are cached by SQL text (the same shapes recur); each runs over the two seeded sessions.
    const sql = `SELECT count(*) FROM ${fromClause(c)} WHERE f.session_id >= ? AND (${c.sql})`;
    let st = statements.get(sql) as { pluck(): { get(...a: unknown[]): unknown } } | undefined;
    if (!st) {
      if (statements.size > 2000) statements.clear();
      st = core.db.prepare(sql);
      statements.set(sql, st);
    }
    const n = st.pluck().get(session, ...c.params) as number;
    if (!(n >= 0 && n <= framesBefore)) throw new Error(`count ${n}`);
  }

  it(`generated expressions (${RUNS} cases): parse or a clean error; compiled SQL parameterised and runnable`, async () => {
    await fuzz('filter/grammar', expr, checkFilter);
  }, timeoutFor(RUNS, 200));

  it(`mutated valid filters and token soup (${RUNS} cases): the same`, async () => {
    await fuzz('filter/mutation', fc.oneof(fc.record({ index: fc.nat({ max: VALID.length - 1 }), seed: fc.integer() }), soup), (c) => {
      if (typeof c === 'string') return checkFilter(c);
      const rng = new Rng(c.seed);
      const bytes = mutate(VALID[c.index], rng, { corpus: VALID, dictionary: TOKENS.map((t) => te.encode(t)), maxLength: 300 });
      checkFilter(rng.chance(0.5) ? td.decode(bytes) : Buffer.from(bytes).toString('latin1'));
    });
  }, timeoutFor(RUNS, 200));

  it('deep nesting and long chains: a clean error or a query SQLite can run', async () => {
    await fuzz('filter/deep', deep, checkFilter, { runs: Math.max(50, Math.floor(RUNS / 500)), maxCaseMs: 5000 });
    // The API's own limit on filter length is far beyond any nesting a person types.
    checkFilter('('.repeat(MAX_FILTER_LENGTH / 2) + 'issue' + ')'.repeat(MAX_FILTER_LENGTH / 2));
    checkFilter('('.repeat(100_000));
    checkFilter('!'.repeat(100_000) + 'issue');
    checkFilter(Array.from({ length: 20_000 }, () => 'no').join(' or '));
  }, 120_000);

  it('the database is intact afterwards: same tables, same frames', () => {
    // Every injection string through every field, and as a header name, here too: run alone (without the fuzz
    // above), the check still follows filters that try to change the database.
    for (const s of INJECTIONS) {
      for (const f of FIELDS) checkFilter(`${f} == ${quoteStr(s)}`);
      checkFilter(`header[${quoteStr(s)}] contains ${quoteStr(s)} or body matches ${quoteStr(s)}`);
    }
    expect(JSON.stringify(core.db.prepare(`SELECT type, name FROM sqlite_master ORDER BY name`).all())).toBe(tablesBefore);
    expect(core.db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(framesBefore);
  });
});
