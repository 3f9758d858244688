// Imports capture bytes in-process into a throw-away database and reads the result back in the frames JSONL
// shape (core/read/frame-json.ts), for the synthetic-capture tests.
import fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importCapture, type ImportOptions, type ImportResult } from '../../../src-main/core/capture/import-job.js';
import { openDb } from '../../../src-main/core/store/db.js';
import { StoreReader } from '../../../src-main/core/store/reader.js';
import { StoreWriter } from '../../../src-main/core/store/writer.js';
import { connectionJson, frameJson } from '../../../src-main/core/read/frame-json.js';

export interface ImportedCapture {
  result: ImportResult;
  connections: ReturnType<typeof connectionJson>[];
  frames: Array<{ connection: number; seq: number; from: string; time: string; command: string; headers: [string, string][]; body: string | null; bodyLength: number; issues: { code: string; severity: string; message: string }[] }>;
  /** Every issue of the session, connection-level and session-level, in order. */
  issues: { connection_id: number | null; dir: number | null; code: string; severity: string; message: string; time: number }[];
  session: { state: string; started: number; ended: number | null; meta: Record<string, unknown> } | null;
}

export function tempDir(prefix = 'stompscope-cap-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

let n = 0;
export async function importBytes(dir: string, bytes: Uint8Array, opts: ImportOptions = {}, name = `f${++n}.pcap`): Promise<ImportedCapture> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return importFile(dir, file, opts);
}

export async function importFile(dir: string, file: string, opts: ImportOptions = {}): Promise<ImportedCapture> {
  const db = path.join(dir, `${path.basename(file)}.${++n}.db`);
  const writer = new StoreWriter(openDb(db));
  let result: ImportResult;
  try {
    result = await importCapture(writer, file, opts);
  } finally {
    writer.close();
  }
  const reader = new StoreReader(openDb(db, { readonly: true }));
  try {
    if (result.session === null) return { result, connections: [], frames: [], issues: [], session: null };
    const conns = reader.connections(result.session);
    const byId = new Map(conns.map((c) => [c.id, c]));
    const frames = [...reader.frames({ session: result.session, connection: null })].map(
      (f) => frameJson(reader, f, byId.get(f.connectionId) ?? null) as unknown as ImportedCapture['frames'][number],
    );
    const issues = reader.db.prepare(`SELECT connection_id, dir, code, severity, message, time FROM issues WHERE session_id = ? ORDER BY id`)
      .all(result.session) as ImportedCapture['issues'];
    const s = reader.db.prepare(`SELECT state, started, ended, meta FROM sessions WHERE id = ?`).get(result.session) as { state: string; started: number; ended: number | null; meta: string };
    return { result, connections: conns.map(connectionJson), frames, issues, session: { ...s, meta: JSON.parse(s.meta) } };
  } finally {
    reader.close();
  }
}
