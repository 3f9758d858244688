// What the UI's sessions sidebar and status bar read besides the CLI's JSON lines: a session's issue (finding)
// count in sessions.list, and each connection's broker profile in connections.list. The CLI's `sessions --jsonl`
// and `connections --jsonl` keep their documented shape (sessionJson / connectionJson are unchanged).
import { describe, expect, it } from 'vitest';
import type { ConnectionDto, SessionSummaryDto } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { connectionJson, sessionJson } from '../../src-main/core/read/frame-json.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { conversation, seedSession } from '../support/seed.js';
import { tmpDb } from '../support/tmp-db.js';

describe('sessions.list and connections.list for the UI', () => {
  it('counts a session\'s issues and names each connection\'s broker profile', async () => {
    const core = Core.open(tmpDb());
    try {
      // conversation(60, 2) seeds one issue: a content-length-mismatch on the MESSAGE of order 7 (57 goes to /queue/other).
      const withIssues = seedSession(core.db, { name: 'with issues', connections: 2, frames: conversation(60, 2) });
      const clean = seedSession(core.db, { name: 'clean', connections: 1, frames: conversation(3, 1) });
      core.db.prepare(`UPDATE connections SET profile = 'activemq' WHERE id = ?`).run(withIssues.connections[1]);

      const sessions = (await core.invoke('sessions.list', {})) as SessionSummaryDto[];
      expect(sessions.map((s) => [s.name, s.issues])).toEqual([['with issues', 1], ['clean', 0]]);
      const conns = (await core.invoke('connections.list', { session: withIssues.session })) as ConnectionDto[];
      expect(conns.map((c) => c.profile)).toEqual([null, 'activemq']);
      expect(((await core.invoke('connections.list', { session: clean.session })) as ConnectionDto[])[0].profile).toBeNull();

      const reader = new StoreReader(core.db);
      expect(Object.keys(sessionJson(reader.sessions()[0]))).not.toContain('issues');
      expect(Object.keys(connectionJson(reader.connections(withIssues.session)[1]))).not.toContain('profile');
    } finally {
      await core.close();
    }
  });
});
