// A recorded frame with a 300 MiB body: `frames --jsonl` (with and without --body base64) and `export --format
// jsonl` never crash on it (a JSON line that size is past what a JavaScript string holds). A body over
// --max-body is cut to that many bytes and says so in its row; the rows before and after it are written.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src-main/core/store/db.js';
import { RawFileWriter } from '../../src-main/core/store/raw-files.js';
import { runCli } from '../support/proxy-cli.js';

const MiB = 1024 * 1024;
const BODY = 300 * MiB;
/** The body is written in pieces of this many bytes. */
const PIECE = 4 * MiB;
/**
 * The body's first `n` bytes: 'x' but for a '€' (3 bytes in UTF-8) across byte 1024 and another across 16 MiB (the
 * caps the tests use), so a cut there must not leave half a character. All 'x' after them.
 */
function firstBytes(n: number): Buffer {
  const b = Buffer.alloc(n, 'x');
  const euro = Buffer.from('€', 'utf8');
  for (const at of [1023, 16 * MiB - 1]) if (at + 3 <= n) euro.copy(b, at);
  return b;
}
const HEAD = firstBytes(16 * MiB + 4);
/** The text of a body cut to `n` bytes: whole characters only. */
const cutText = (n: number) => new TextDecoder('utf-8', { fatal: true }).decode(HEAD.subarray(0, n === 1024 || n === 16 * MiB ? n - 1 : n));
const enc = (s: string) => Buffer.from(s, 'utf8');

interface Row { seq: number; command: string; body: string | null; bodyLength: number; bodySha256: string; bodyTruncated?: boolean; bodyBase64?: string | null }

/**
 * One session, one connection: SEND "before", SEND with the big body, RECEIPT. Written straight into the store
 * (as test/support/seed.ts does) a piece at a time, so the test never holds the body.
 */
function seed(dbFile: string): string {
  const db = openDb(dbFile);
  const raw = new RawFileWriter(db.name);
  const hash = createHash('sha256');
  try {
    const t0 = 1_700_000_000_000_000;
    const session = Number(db.prepare(`INSERT INTO sessions (kind, name, started, ended, state, meta) VALUES ('proxy', 'big', ?, ?, 'complete', '{}')`).run(t0, t0 + 10).lastInsertRowid);
    const conn = Number(db.prepare(`INSERT INTO connections (session_id, client, broker, version, opened) VALUES (?, '127.0.0.1:40000', '127.0.0.1:61613', '1.2', ?)`)
      .run(session, t0).lastInsertRowid);
    const insFrame = db.prepare(`INSERT INTO frames (session_id, connection_id, seq, dir, time, offset, length, command, destination, headers, crlf,
      body_offset, body_length, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0)`);
    const insChunk = db.prepare(`INSERT INTO chunks (connection_id, dir, offset, length, file_offset) VALUES (?, ?, ?, ?, ?)`);
    const offsets = [0, 0];
    const append = (dir: number, b: Buffer) => {
      if (!b.length) return;
      insChunk.run(conn, dir, offsets[dir], b.length, raw.append(session, b));
      offsets[dir] += b.length;
    };
    const frame = (seq: number, dir: number, command: string, headers: Array<[string, string]>, body: Buffer | number) => {
      const head = enc(`${command}\n${headers.map(([k, v]) => `${k}:${v}\n`).join('')}\n`);
      const length = typeof body === 'number' ? body : body.length;
      insFrame.run(session, conn, seq, dir, t0 + seq, offsets[dir], head.length + length + 1, command, headers[0]?.[1] ?? null, JSON.stringify(headers),
        offsets[dir] + head.length, length);
      append(dir, head);
      if (typeof body === 'number') {
        const rest = Buffer.alloc(PIECE, 'x');
        for (let done = 0; done < body; done += PIECE) {
          let piece = rest;
          if (done < HEAD.length) {
            piece = Buffer.alloc(PIECE, 'x');
            HEAD.copy(piece, 0, done, Math.min(HEAD.length, done + PIECE));
          }
          append(dir, piece);
          hash.update(piece);
        }
      } else append(dir, body);
      append(dir, Buffer.from([0]));
    };
    db.transaction(() => {
      frame(0, 0, 'SEND', [['destination', '/queue/small']], enc('before'));
      frame(1, 0, 'SEND', [['destination', '/queue/big'], ['content-length', String(BODY)]], BODY);
      frame(2, 1, 'RECEIPT', [['receipt-id', 'after']], enc(''));
    })();
  } finally {
    raw.closeAll();
    db.close();
  }
  return hash.digest('hex');
}

function rows(stdout: string): Row[] {
  return stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Row);
}

describe('a 300 MiB body', () => {
  let dir = '';
  let db = '';
  let sha = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'stompscope-bigbody-'));
    db = path.join(dir, 'big.db');
    sha = seed(db);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function expectRows(got: Row[], printed: number) {
    expect(got.map((r) => [r.seq, r.command, r.bodyLength])).toEqual([[0, 'SEND', 6], [1, 'SEND', BODY], [2, 'RECEIPT', 0]]);
    expect(got[0]).toMatchObject({ body: 'before' });
    expect(got[0].bodyTruncated).toBeUndefined();
    expect(got[2]).toMatchObject({ body: '' });
    const big = got[1];
    // The hash and length are the whole body's; the text is its first bytes, cut at a character boundary.
    expect(big).toMatchObject({ bodyTruncated: true, bodySha256: sha });
    expect(big.body).toBe(cutText(printed));
  }

  it('frames --jsonl --body base64: the default cap (16 MiB) applies, the rows before and after are written', async () => {
    const r = await runCli(['frames', '--db', db, '--jsonl', '--body', 'base64'], 120_000);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const got = rows(r.stdout);
    expectRows(got, 16 * MiB);
    const b64 = Buffer.from(got[1].bodyBase64!, 'base64');
    expect(b64.length).toBe(16 * MiB);
    expect(b64.equals(HEAD.subarray(0, 16 * MiB))).toBe(true);
    expect(got[0].bodyBase64).toBe(Buffer.from('before').toString('base64'));
  }, 150_000);

  it('frames --jsonl --max-body 1K; plain text frames list the frame whole', async () => {
    const r = await runCli(['frames', '--db', db, '--jsonl', '--max-body', '1K'], 120_000);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expectRows(rows(r.stdout), 1024);
    const text = await runCli(['frames', '--db', db], 120_000);
    expect(text.code).toBe(0);
    const length = enc(`SEND\ndestination:/queue/big\ncontent-length:${BODY}\n\n`).length + BODY + 1;
    expect(text.stdout.split('\n')[1]).toMatch(new RegExp(`SEND +/queue/big +${length} B$`));
  }, 150_000);

  it('export --format jsonl: the same rows, the default cap, --max-body applies', async () => {
    const out = path.join(dir, 'big.jsonl');
    const r = await runCli(['export', '--db', db, '--session', '1', '--format', 'jsonl', '--out', out, '--max-body', '7'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expectRows(rows(fs.readFileSync(out, 'utf8')), 7);
    const d = await runCli(['export', '--db', db, '--session', '1', '--format', 'jsonl', '--out', out, '--force'], 120_000);
    expect(d.code, d.stderr).toBe(0);
    expectRows(rows(fs.readFileSync(out, 'utf8')), 16 * MiB);
  }, 150_000);

  it('--max-body: a bad value is one line, exit 2', async () => {
    for (const [v, msg] of [
      ['x', "--max-body: 'x' is not a size (bytes, or with K, M: e.g. 64K, 16M)"],
      ['65M', "--max-body: '65M' is more than 64M (64 MiB: a bigger body would not fit in one JSON line)"],
    ]) {
      const r = await runCli(['frames', '--db', db, '--jsonl', '--max-body', v]);
      expect([r.code, r.stderr]).toEqual([2, `stompscope frames: ${msg}\n`]);
    }
  });
});
