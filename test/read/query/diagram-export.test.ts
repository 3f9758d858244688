// `diagram.export`: the core builds the sequence diagram of a whole query (a session through a display filter)
// up to MAX_EXPORT_FRAMES, so the page can export a session it only ever holds a screenful of.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, QueryDto } from '../../../shared/api/index.js';
import { MAX_EXPORT_FRAMES } from '../../../shared/diagram/model.js';
import { Core } from '../../../src-main/core/api.js';
import { seedSession, type SeedFrame } from '../../support/seed.js';

const EXTRA = 37;
const T0 = 1_700_000_000_000_000;

function* frames(n: number): Generator<SeedFrame> {
  for (let i = 0; i < n; i++) {
    yield i % 2
      ? { conn: 2, from: 'broker', command: 'MESSAGE', headers: [['destination', '/queue/b'], ['message-id', `m-${i}`], ['subscription', 's']], body: 'x' }
      : { conn: 1, from: 'client', command: 'SEND', headers: [['destination', '/queue/a']], body: `${i}` };
  }
}

describe('diagram.export', () => {
  let dir = '';
  let core: Core;
  let session = 0;
  const arrows = (svg: string) => (svg.match(/marker-end="url\(#arrow\)"/g) ?? []).length;
  const exportOf = async (args: unknown) => (await core.invoke('diagram.export', args)) as CommandResult<'diagram.export'>;
  const query = async (filter: string) => ((await core.invoke('frames.query', { session, filter })) as QueryDto).query;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompscope-diagram-'));
    core = Core.open(path.join(dir, 'd.db'));
    const seeded = seedSession(core.db, { name: 'long', connections: 2, frames: frames(MAX_EXPORT_FRAMES + EXTRA), t0: T0, stepUs: 1000 });
    session = seeded.session;
    // Two heart-beats from the client of connection 1, between frames 0 and 1 and after the cap.
    const hb = core.db.prepare(`INSERT INTO heartbeats (connection_id, dir, time, offset) VALUES (?, 0, ?, 0)`);
    hb.run(seeded.connections[0], T0 + 500);
    hb.run(seeded.connections[0], T0 + (MAX_EXPORT_FRAMES + 5) * 1000);
  });
  afterAll(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the whole session up to the cap, and says it is capped', async () => {
    const r = await exportOf({ query: await query('') });
    expect(r).toMatchObject({ frames: MAX_EXPORT_FRAMES, total: MAX_EXPORT_FRAMES + EXTRA, capped: true });
    expect(arrows(r.svg)).toBe(MAX_EXPORT_FRAMES);
    expect(r.svg).toContain('>SEND /queue/a<');
    expect(r.svg).toContain('>127.0.0.1:40001<');
    expect(r.svg).toContain(`The first 10,000 of ${(MAX_EXPORT_FRAMES + EXTRA).toLocaleString('en-US')} frames`);
    // Only the heart-beat within the exported frames' time is drawn.
    expect((r.svg.match(/<circle /g) ?? []).length).toBe(1);
  });

  it('follows the display filter of the query, timed from the session start', async () => {
    const r = await exportOf({ query: await query('command == "MESSAGE" and conn == 2') });
    // Every other frame is a MESSAGE on connection 2.
    expect(r).toMatchObject({ frames: Math.floor((MAX_EXPORT_FRAMES + EXTRA) / 2), capped: false });
    expect(r.svg).not.toContain('>SEND ');
    // Times stay relative to the session's first frame, as in the list: the first MESSAGE is frame 1 (+1 ms).
    expect(r.svg).toContain('>+0.001 s<');
    expect(r.svg).toContain('matching command == &quot;MESSAGE&quot; and conn == 2.');
  });

  it('takes a smaller cap, and refuses bad arguments', async () => {
    const q = await query('');
    expect(await exportOf({ query: q, maxFrames: 5 })).toMatchObject({ frames: 5, capped: true });
    await expect(exportOf({ query: q, maxFrames: MAX_EXPORT_FRAMES + 1 })).rejects.toThrow(/'maxFrames' must be an integer from 1 to 10000/);
    await expect(exportOf({ query: q, maxFrames: 0 })).rejects.toThrow(/maxFrames/);
    await expect(exportOf({ query: 99_999 })).rejects.toThrow(/no open query/);
  });
});
