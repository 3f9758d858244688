// A host of the core for bench/proxy.ts (as `stompscope ui` or the desktop app hosts it): a proxy started
// through the core's API, and, with `queries`, display filters run through the same API without pause, as two
// UIs would run them. Prints "listening on HOST:PORT" once the proxy listens and the filters are running;
// on SIGINT, how many filters ended, were stopped, and were still running, and exits.
//   node --import tsx bench/core-host.ts DB UPSTREAM_PORT idle|queries
import { Core } from '../src-main/core/api.js';
import type { ProxyDto } from '../shared/api/index.js';

const [db, upstreamPort, mode] = process.argv.slice(2);
const SLOW_FILTERS = [
  // Reads every body of the session: a long but legitimate filter.
  'body contains "zzz"',
  // Catastrophic backtracking on the one body of 'a's: stopped at the time limit.
  'body matches "^(a|a){1,26}(a+)+$"',
];

const core = Core.open(db);
const session = Number((core.db.prepare(`SELECT max(id) FROM sessions WHERE kind = 'proxy' AND name = 'bench: seeded'`).pluck().get()));
const proxy = (await core.invoke('proxy.start', { listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, name: 'bench' })) as ProxyDto;
let done = 0;
let stopped = 0;
let inFlight = 0;
let running = mode === 'queries';
const loops: Array<Promise<void>> = [];
if (running) {
  for (const filter of SLOW_FILTERS) {
    const ui = {};
    loops.push((async () => {
      while (running) {
        inFlight++;
        try {
          const q = (await core.invoke('frames.query', { session, filter }, ui)) as { query: number };
          await core.invoke('frames.close', { query: q.query });
          done++;
        } catch (e) {
          if ((e as { code?: string }).code === 'timeout') stopped++;
          else if (running) throw e;
        } finally {
          inFlight--;
        }
      }
    })());
  }
}
// Both read workers started and busy before the proxy is announced.
await new Promise((r) => setTimeout(r, 3000));
process.stderr.write(`listening on ${proxy.listen}\n`);
process.once('SIGINT', () => {
  running = false;
  process.stderr.write(`queries: ${done} done, ${stopped} stopped at the time limit, ${inFlight} running at the end\n`);
  void core.close().then(() => process.exit(0));
});
