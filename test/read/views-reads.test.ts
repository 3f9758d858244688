// The reads behind the Connections, Follow, Statistics and Compare views, against a seeded database: the previous
// frame on a destination (whatever the command when none has the same one), one row per connection with what it
// negotiated and carried, a connection's transcript both ways, and the statistics' counts and exports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { conversation, seedSession } from '../support/seed.js';
import { linkSession } from './links-fixture.js';

let dir = '';
let core: Core;
let session = 0;
let conns: number[] = [];
const ids = (command: string, destination?: string) =>
  core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND command = ? AND (? IS NULL OR destination = ?) ORDER BY id`).pluck()
    .all(session, command, destination ?? null, destination ?? null) as number[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stompscope-views-read-'));
  core = Core.open(path.join(dir, 'v.db'));
  const s = seedSession(core.db, { name: 'views', connections: 2, frames: conversation(12, 2) });
  session = s.session;
  conns = s.connections;
  linkSession(core.db, session);
});

afterAll(async () => {
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('frame.previousOnDestination', () => {
  it('finds the previous frame of the same command on the destination', async () => {
    const sends = ids('SEND', '/queue/orders');
    expect(await core.invoke('frame.previousOnDestination', { id: sends[1] })).toMatchObject({ id: sends[0], sameCommand: true });
  });

  it('falls back to an earlier frame of another command on the destination (the first MESSAGE after its SEND and SUBSCRIBE)', async () => {
    const [message] = ids('MESSAGE', '/queue/orders');
    const earlier = core.db.prepare(`SELECT id FROM frames WHERE session_id = ? AND destination = '/queue/orders' AND id < ? ORDER BY id DESC LIMIT 1`)
      .pluck().get(session, message) as number;
    expect(earlier).toBeDefined();
    expect(await core.invoke('frame.previousOnDestination', { id: message })).toEqual({ id: earlier, sameCommand: false });
  });

  it('says none only when no earlier frame names the destination', async () => {
    const [subscribe] = ids('SUBSCRIBE', '/queue/orders');
    expect(await core.invoke('frame.previousOnDestination', { id: subscribe })).toEqual({ id: null, sameCommand: false });
  });
});
