// The frame list when the core restarted the read worker that held its query (another read ran past the time
// limit, src-main/core/read/pool.ts): the list opens the same filter again and keeps showing rows, instead of
// an error until the filter is applied by hand.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { FramesState } from '../../src-renderer/src/lib/frames.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

describe('FramesState after a read worker restart', () => {
  it('opens its filter again when its query was lost, and shows the rows', async () => {
    const base = sessionHandlers(1000);
    let next = 1;
    const live = new Set<number>();
    const fake = fakeApi({
      ...base,
      'frames.query': () => {
        live.add(next);
        return { query: next++, total: 1000 };
      },
      'frames.window': (a) => {
        if (!live.has(a.query)) throw new ApiError('not-found', `query ${a.query} was closed when its read worker was restarted (a read took too long or was cancelled); open it again`);
        return base['frames.window']!(a);
      },
    });
    const frames = new FramesState(fake.api);
    expect(await frames.open(1, 'command == "SEND"')).toBe(true);
    expect(frames.rows.length).toBeGreaterThan(0);
    live.clear(); // the worker holding query 1 was restarted
    frames.onScroll(22 * 500, 400);
    await settle();
    expect(frames.error).toBeNull();
    expect(frames.rows.map((r) => r.id)).toContain(501);
    const reopened = fake.calls.filter((c) => c.cmd === 'frames.query');
    expect(reopened.map((c) => c.args)).toEqual([{ session: 1, filter: 'command == "SEND"' }, { session: 1, filter: 'command == "SEND"' }]);
  });

  it('shows other errors as they are, and does not loop when the new query is lost too', async () => {
    const base = sessionHandlers(1000);
    let opened = 0;
    const fake = fakeApi({
      ...base,
      'frames.query': () => ({ query: ++opened, total: 1000 }),
      'frames.window': (a) => {
        if (a.start === 0 && opened === 1) return base['frames.window']!(a);
        throw new ApiError('not-found', `query ${a.query} was closed when its read worker was restarted (a read took too long or was cancelled); open it again`);
      },
    });
    const frames = new FramesState(fake.api);
    await frames.open(1, '');
    frames.onScroll(22 * 500, 400);
    await settle();
    expect(opened).toBe(2);
    expect(frames.error).toMatch(/was closed when its read worker was restarted/);
  });
});
