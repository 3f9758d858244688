// The component tests' fake API answers like the real hosts: it refuses the arguments the core refuses (the same
// validateArgs), copies what crosses it by structured clone, and hands a handler's ApiError over as a transport
// does, code, message and detail rebuilt from data.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { fakeApi, sessionHandlers } from '../renderer/fake-api.js';

describe('the fake API of component tests', () => {
  it('refuses what the core refuses, before any handler runs', async () => {
    const fake = fakeApi(sessionHandlers(10));
    const e = await fake.api.invoke('frames.window', { query: 1, start: -1, count: 5 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'bad-request', message: "frames.window: 'start' must be an integer from 0 to 9007199254740991" });
    expect(await fake.api.invoke('frames.window', { query: 1, start: 8, count: 5 })).toMatchObject({ total: 10, start: 8 });
  });

  it('carries a handler\'s ApiError as data: code, message and detail', async () => {
    const fake = fakeApi({
      'frames.query': () => {
        throw new ApiError('bad-filter', 'expected a value', { message: 'expected a value', start: 7, end: 10 });
      },
    });
    const e = await fake.api.invoke('frames.query', { session: 1, filter: 'size > ' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'bad-filter', message: 'expected a value', detail: { message: 'expected a value', start: 7, end: 10 } });
  });

  it('copies arguments and results as a transport does: no shared objects, nothing that cannot be cloned', async () => {
    const seen: unknown[] = [];
    const result = { error: null };
    const fake = fakeApi({
      'filter.check': (args) => {
        seen.push(args);
        return result;
      },
    });
    const args = { filter: 'command == "SEND"' };
    const r = await fake.api.invoke('filter.check', args);
    expect(r).toEqual(result);
    expect(r).not.toBe(result);
    expect(seen[0]).toEqual(args);
    expect(seen[0]).not.toBe(args);
    // A function cannot cross IPC (structured clone refuses it); neither can it cross the fake.
    await expect(fake.api.invoke('filter.check', { filter: 'x', extra: () => 1 } as never)).rejects.toThrow(/could not be cloned/);
  });
});
