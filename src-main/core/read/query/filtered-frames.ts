// Frames in capture order that match a display filter, for the CLI (`stompscope frames --filter`). The filter
// runs in SQLite, one page of ids at a time, over the reader's own pages.
import type Database from 'better-sqlite3';
import { StoreReader, type StoredFrame, type StoredIssue } from '../../store/reader.js';
import { openDb } from '../../store/db.js';
import { conditionOf, fromClause } from './frames-query.js';
import { registerQueryFunctions } from './functions.js';

/** Throws ApiError('bad-filter') at once (not on the first frame) when the filter does not parse. */
export function filteredFrames(
  reader: StoreReader,
  filter: string,
  scope: { session?: number | null; connection?: number | null } = {},
): Generator<StoredFrame & { issues: StoredIssue[] }> {
  const cond = conditionOf(filter);
  // SQLite functions may not run statements on the connection that calls them: bodies are read through a
  // second connection.
  registerQueryFunctions(reader.db, new StoreReader(openDb(reader.db.name, { readonly: true })));
  return run(reader, cond, scope);
}

function* run(
  reader: StoreReader,
  cond: ReturnType<typeof conditionOf>,
  scope: { session?: number | null; connection?: number | null },
): Generator<StoredFrame & { issues: StoredIssue[] }> {
  const st: Database.Statement<unknown[]> = reader.db.prepare<unknown[]>(`SELECT f.id FROM ${fromClause(cond)} WHERE f.id BETWEEN ? AND ? AND (${cond.sql})`).pluck();
  const page: Array<StoredFrame & { issues: StoredIssue[] }> = [];
  const flush = function* () {
    if (!page.length) return;
    const keep = new Set(st.all(page[0].id, page[page.length - 1].id, ...cond.params) as number[]);
    for (const f of page) if (keep.has(f.id)) yield f;
    page.length = 0;
  };
  for (const f of reader.frames(scope)) {
    page.push(f);
    if (page.length === 1000) yield* flush();
  }
  yield* flush();
}
