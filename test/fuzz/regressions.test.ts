// Crashes the fuzzers found, each pinned by the smallest input that showed it (the fix is named beside it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, MAX_FILTER_LENGTH } from '../../shared/api/index.js';
import { FilterSyntaxError } from '../../shared/filter/ast.js';
import { MAX_NESTING, parseFilter } from '../../shared/filter/parser.js';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import { maskRawFrame } from '../../shared/stomp/secrets.js';
import type { DecodeEvent } from '../../shared/stomp/types.js';
import { Core } from '../../src-main/core/api.js';
import { filteredFrames } from '../../src-main/core/read/query/filtered-frames.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { conversation, seedSession } from '../support/seed.js';

describe('display filter: nesting and long chains (filter.fuzz)', () => {
  let dir = '';
  let core: Core;
  let session = 0;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-regress-'));
    core = Core.open(path.join(dir, 'r.db'));
    session = seedSession(core.db, { name: 'r', connections: 1, frames: conversation(4) }).session;
  });
  afterAll(async () => {
    await core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const total = async (filter: string) => ((await core.invoke('frames.query', { session, filter })) as { total: number }).total;
  const error = async (filter: string) => {
    try {
      await core.invoke('frames.query', { session, filter });
    } catch (e) {
      return e;
    }
    return null;
  };

  it('"((((…" deeper than the stack is a syntax error, not a RangeError (parser: MAX_NESTING)', async () => {
    expect(() => parseFilter('('.repeat(100_000))).toThrow(FilterSyntaxError);
    expect(() => parseFilter('not '.repeat(50_000) + 'issue')).toThrow(/nested too deeply/);
    const e = await error('('.repeat(MAX_NESTING + 1) + 'issue' + ')'.repeat(MAX_NESTING + 1));
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'bad-filter', detail: { start: MAX_NESTING } });
    // Up to the limit it works.
    expect(await total('('.repeat(MAX_NESTING) + 'size > 0' + ')'.repeat(MAX_NESTING))).toBe(await total('size > 0'));
  });

  it('1,000 "!" within the API length limit is a syntax error, not an SQLite "Recursion limit" error', async () => {
    const e = await error('!'.repeat(1000) + 'issue');
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('bad-filter');
    expect(await total('!'.repeat(MAX_NESTING) + 'issue')).toBe(await total(MAX_NESTING % 2 ? '!issue' : 'issue'));
  });

  it('a chain of more terms than SQLite\'s expression depth (1000) runs (compile: balanced AND/OR)', async () => {
    // The CLI's --filter has no length limit.
    const chain = Array.from({ length: 1100 }, (_, i) => `seq == ${i + 1000}`).join(' or ') + ' or command == "SEND"';
    const reader = new StoreReader(openDb(path.join(dir, 'r.db'), { readonly: true }));
    try {
      expect([...filteredFrames(reader, chain, { session })].length).toBe(await total('command == "SEND"'));
    } finally {
      reader.close();
    }
    // Within the API's length limit: 1,024 terms.
    const within = Array.from({ length: 1024 }, () => 'no').join('||');
    expect(within.length).toBeLessThanOrEqual(MAX_FILTER_LENGTH);
    expect(await total(within)).toBe(await total(''));
    // Grouping does not change what a mixed chain means: and binds tighter than or, left to right.
    expect(await total('command == "SEND" or seq == 0 and from == client or issue')).toBe(await total('(command == "SEND") or (seq == 0 and from == client) or (issue)'));
  });
});

describe('credential masking of raw frames (decoder.fuzz)', () => {
  it('a NUL inside a credential header ends the frame, and stays a NUL in the masked copy (secrets.ts: maskRawFrame)', () => {
    const te = new TextEncoder();
    // A CONNECT cut short by a NUL in its passcode line, then the next frame.
    const wire = te.encode('CONNECT\nlogin:guest\npasscode:gu\0SEND\ndestination:/q\n\nhi\0');
    const frames = (bytes: Uint8Array) => {
      const out: string[] = [];
      const d = new StompDecoder();
      const sink = (e: DecodeEvent) => e.kind === 'frame' && out.push(`${e.offset}+${e.length} ${e.command}`);
      d.push(bytes, 0, sink);
      d.end(0, sink);
      return out;
    };
    expect(frames(wire)).toEqual(['0+32 CONNECT', '32+24 SEND']);
    const connect = wire.subarray(0, 32);
    const masked = maskRawFrame(connect);
    expect(new TextDecoder().decode(masked)).toBe('CONNECT\nlogin:*****\npasscode:**\0');
    // The masked stream (a masked pcapng export, a hex dump) splits into the same frames.
    expect(frames(new Uint8Array([...masked, ...wire.subarray(32)]))).toEqual(['0+32 CONNECT', '32+24 SEND']);
  });
});
