// Proxy benchmark: throughput and added round-trip latency of the recording proxy, side by side in the same
// run with a plain Node TCP pipe and with no proxy at all. The proxy and the pipe each run in a process of
// their own (as users run them); the load generator and the fake broker run here.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from './compiled.js';
import type { BenchResult } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Hop {
  name: string;
  port: number;
  stop(): Promise<string>;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Mixed client traffic: SENDs with 100 B – 64 KiB bodies (log-uniform), binary bodies with content-length, escaped headers, CRLF, heart-beats. */
export function mixedTraffic(bytes: number, seed = 7): { data: Buffer; frames: number } {
  const r = rng(seed);
  const parts: Buffer[] = [];
  let total = 0;
  let frames = 0;
  while (total < bytes) {
    const size = Math.round(100 * Math.pow(655.36, r()));
    const binary = r() < 0.3;
    const crlf = r() < 0.2;
    const eol = crlf ? '\r\n' : '\n';
    const body = Buffer.alloc(size, binary ? 0 : 0x61);
    if (binary) for (let i = 0; i < size; i += 97) body[i] = Math.floor(r() * 256);
    let head = `SEND${eol}destination:/queue/bench.${frames % 16}${eol}x-note:a\\cb\\nc${eol}`;
    if (binary || r() < 0.5) head += `content-length:${size}${eol}`;
    head += eol;
    const hb = r() < 0.1 ? eol : '';
    const f = Buffer.concat([Buffer.from(head), body, Buffer.from('\0' + hb)]);
    parts.push(f);
    total += f.length;
    frames++;
  }
  return { data: Buffer.concat(parts), frames };
}

export function smallFrames(count: number): Buffer {
  const one = Buffer.from('SEND\ndestination:/queue/small\nreceipt:r\n\n' + 'x'.repeat(40) + '\0');
  return Buffer.concat(Array.from({ length: count }, () => one));
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function spawnHop(name: string, args: string[]): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on \S+:(\d+)/.exec(err);
      if (m && timer) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stderr: () => err });
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
  });
}

/**
 * Rules for proxy.throughput.rules: ten that match none of mixedTraffic()'s frames (though each makes the proxy read
 * the command of every frame, and hold and decode every SEND), and ten of which two match about 10% of them (the
 * 6.25% sent to /queue/bench.0, and 60% of the 6.25% sent to /queue/bench.1), rewritten to a destination of the same
 * length so that the sink still counts the bytes sent.
 */
export function benchRules(matching: boolean): object[] {
  const none = Array.from({ length: matching ? 8 : 10 }, (_, k) => ({ name: `none ${k}`, when: `command == "SEND" and destination == "/queue/none.${k}"`, do: 'drop' }));
  if (!matching) return none;
  return [...none,
    { name: 'bench.0', when: 'command == "SEND" and destination == "/queue/bench.0"', do: 'map-destination', to: '/queue/bench.X' },
    { name: 'bench.1', when: 'command == "SEND" and destination == "/queue/bench.1"', do: 'map-destination', to: '/queue/bench.Y', probability: 0.6 }];
}

type HopKind = 'direct' | 'pipe' | 'proxy' | 'proxy-rules' | 'proxy-rules-10pct';

async function startHop(kind: HopKind, brokerPort: number, dir: string): Promise<Hop> {
  if (kind === 'direct') return { name: 'no proxy', port: brokerPort, stop: async () => '' };
  let rules: string[] = [];
  if (kind === 'proxy-rules' || kind === 'proxy-rules-10pct') {
    const file = path.join(dir, `${kind}.json`);
    fs.writeFileSync(file, JSON.stringify(benchRules(kind === 'proxy-rules-10pct')));
    rules = ['--rules', file];
  }
  // The proxy runs as users run it: the compiled CLI (bin/stompscope.js → out/node), no TypeScript loader.
  const args = kind === 'pipe'
    ? ['--import', 'tsx', 'bench/plain-pipe.ts', String(brokerPort)]
    : ['bin/stompscope.js', 'proxy', '--quiet', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${brokerPort}`,
      '--db', path.join(dir, `bench-${Date.now()}.db`), ...rules];
  const { child, port, stderr } = await spawnHop(kind, args);
  return {
    name: kind === 'pipe' ? 'plain Node pipe' : 'StompScope proxy (recording)',
    port,
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve(stderr()));
      child.kill('SIGINT');
    }),
  };
}

/** Sends `data` through the hop to a sink broker; seconds until the sink has it all. */
async function throughput(port: number, sinkPort: number, sink: { expect(n: number): Promise<void> }, data: Buffer, repeat: number): Promise<number> {
  const done = sink.expect(data.length * repeat);
  const t0 = performance.now();
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  for (let i = 0; i < repeat; i++) {
    // Realistic writes: a client library writes frame by frame in modest pieces, not one giant buffer.
    for (let off = 0; off < data.length; off += 256 * 1024) {
      if (!sock.write(data.subarray(off, off + 256 * 1024))) await new Promise((r) => sock.once('drain', r));
    }
  }
  await done;
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  void sinkPort;
  return secs;
}

/** Round trips of a small frame through the hop to an echo broker; returns RTTs in µs. */
async function roundTrips(port: number, count: number): Promise<number[]> {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  const frame = Buffer.from('SEND\ndestination:/queue/ping\n\nping\0');
  const rtts: number[] = [];
  let pending: ((n: number) => void) | null = null;
  let got = 0;
  sock.on('data', (d) => {
    got += d.length;
    if (got >= frame.length && pending) {
      got -= frame.length;
      const p = pending;
      pending = null;
      p(0);
    }
  });
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<number>((resolve) => {
      pending = resolve;
      sock.write(frame);
    });
    rtts.push((performance.now() - t0) * 1000);
  }
  sock.destroy();
  return rtts;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchProxy(opts: {
  mixedMB?: number; smallFrames?: number; roundTrips?: number; latencyRounds?: number;
  /** Round trips right after a hop starts, measured apart as the cold figures (default 2,000). */
  coldRoundTrips?: number;
  /** Unmeasured round trips between the cold ones and the measured ones (default 1,000). */
  warmupRoundTrips?: number;
  /** The sizes of proxy.latency.p99.during-queries (benchProxyDuringQueries). */
  duringQueries?: { frames?: number; roundTrips?: number; rounds?: number };
} = {}): Promise<BenchResult[]> {
  buildCli();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-'));
  let received = 0;
  let waiter: { n: number; resolve: () => void } | null = null;
  const sinkServer = net.createServer((s) => s.on('data', (d) => {
    received += d.length;
    if (waiter && received >= waiter.n) {
      waiter.resolve();
      waiter = null;
    }
  }));
  const sink = {
    expect(n: number) {
      received = 0;
      return new Promise<void>((resolve) => (waiter = { n, resolve }));
    },
  };
  const echoServer = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  const sinkPort = await listen(sinkServer);
  const echoPort = await listen(echoServer);

  const mixed = mixedTraffic((opts.mixedMB ?? 64) * 1024 * 1024);
  const repeat = 4;
  const smallCount = opts.smallFrames ?? 500_000;
  const small = smallFrames(smallCount);
  const rtCount = opts.roundTrips ?? 4000;
  const rounds = opts.latencyRounds ?? 7;
  const kinds = ['direct', 'pipe', 'proxy'] as const;
  const coldCount = opts.coldRoundTrips ?? 2000;
  const warmCount = opts.warmupRoundTrips ?? 1000;
  type Figures = { mbps: number; smallFps: number; smallRecordedFps: number; p50: number; p99: number; coldP99: number };
  const results = {} as Record<(typeof kinds)[number], Figures>;
  const rulesMbps = {} as Record<'proxy-rules' | 'proxy-rules-10pct', number>;

  // Latency first, before anything has written much to disk, interleaved over several rounds: one run's p99
  // on a 2-core machine is noisy, the median of several is not. Each hop is new in each round. Its first round
  // trips are slower (V8 compiles the hot paths of each thread; the proxy has two threads and more code than the
  // pipe): about the first 1,500 here. They are measured apart, as the cold p99; the measured ones come after.
  const p50s = new Map<string, number[]>();
  const p99s = new Map<string, number[]>();
  const coldP99s = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, k: string, v: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      const hop = await startHop(kind, echoPort, dir);
      const cold = (await roundTrips(hop.port, coldCount)).sort((a, b) => a - b);
      await roundTrips(hop.port, warmCount);
      const rtts = (await roundTrips(hop.port, rtCount)).sort((a, b) => a - b);
      await hop.stop();
      add(p50s, kind, pct(rtts, 50));
      add(p99s, kind, pct(rtts, 99));
      add(coldP99s, kind, pct(cold, 99));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  for (const kind of kinds) {
    // A fresh hop for each measurement, so that the recorder starts level each time.
    let hop = await startHop(kind, sinkPort, dir);
    await throughput(hop.port, sinkPort, sink, mixed.data.subarray(0, 1 << 20), 1); // warm-up
    const secs = await throughput(hop.port, sinkPort, sink, mixed.data, repeat);
    await hop.stop();
    hop = await startHop(kind, sinkPort, dir);
    const t0 = performance.now();
    const smallSecs = await throughput(hop.port, sinkPort, sink, small, 1);
    await hop.stop();
    // For the proxy, stop() returns once everything forwarded is also recorded and flushed.
    const smallRecordedSecs = (performance.now() - t0) / 1000;
    results[kind] = {
      mbps: (mixed.data.length * repeat) / secs / 1e6, smallFps: smallCount / smallSecs,
      smallRecordedFps: smallCount / (kind === 'proxy' ? smallRecordedSecs : smallSecs),
      p50: median(p50s.get(kind)!), p99: median(p99s.get(kind)!), coldP99: median(coldP99s.get(kind)!),
    };
  }
  // The same mixed corpus through the proxy with rules loaded (proxy.throughput.rules), right after the plain run.
  // Its warm-up is whole frames: a frame some rule could match is forwarded once it is whole, and the first MiB of
  // the corpus ends inside one.
  const warmup = mixedTraffic(1 << 20, 11).data;
  for (const kind of ['proxy-rules', 'proxy-rules-10pct'] as const) {
    const hop = await startHop(kind, sinkPort, dir);
    await throughput(hop.port, sinkPort, sink, warmup, 1);
    const secs = await throughput(hop.port, sinkPort, sink, mixed.data, repeat);
    await hop.stop();
    rulesMbps[kind] = (mixed.data.length * repeat) / secs / 1e6;
  }
  sinkServer.close();
  echoServer.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const d = results.direct;
  const p = results.pipe;
  const x = results.proxy;
  const added = (r: typeof d, q: 'p50' | 'p99' | 'coldP99') => Math.max(0, r[q] - d[q]);
  const measured = `median of ${rounds} rounds of ${rtCount}, after ${coldCount + warmCount} from the start`;
  const duringQueries = await benchProxyDuringQueries(opts.duringQueries);
  return [
    { name: 'proxy.throughput', unit: 'MB/s', ours: x.mbps, baseline: p.mbps, baselineName: 'plain Node pipe', higherIsBetter: true,
      notes: `no proxy ${d.mbps.toFixed(0)} MB/s; mixed corpus ${mixed.frames} frames x${repeat}` },
    { name: 'proxy.throughput.rules', unit: 'MB/s', ours: rulesMbps['proxy-rules'], baseline: x.mbps, baselineName: 'the proxy without rules', higherIsBetter: true,
      notes: `10 rules matching no frame (every SEND held and decoded to be matched); 10 rules of which 2 rewrite ~10% of the frames: ${rulesMbps['proxy-rules-10pct'].toFixed(0)} MB/s` },
    { name: 'proxy.throughput.rules.10pct', unit: 'MB/s', ours: rulesMbps['proxy-rules-10pct'], baseline: x.mbps, baselineName: 'the proxy without rules', higherIsBetter: true,
      notes: '10 rules, 2 of which rewrite the destination of ~10% of the frames (same length)' },
    { name: 'proxy.throughput.direct', unit: 'MB/s', ours: x.mbps, baseline: d.mbps, baselineName: 'no proxy (direct to the broker)', higherIsBetter: true,
      notes: `${((x.mbps / d.mbps) * 100).toFixed(0)}% of a direct connection; plain Node pipe ${p.mbps.toFixed(0)} MB/s` },
    { name: 'proxy.small-frames', unit: 'frames/s', ours: x.smallFps, baseline: p.smallFps, baselineName: 'plain Node pipe', higherIsBetter: true,
      notes: `recorded and flushed: ${Math.round(x.smallRecordedFps)} frames/s; no proxy ${Math.round(d.smallFps)} frames/s` },
    { name: 'proxy.latency.p50', unit: 'µs added', ours: added(x, 'p50'), baseline: added(p, 'p50'), baselineName: 'plain Node pipe', higherIsBetter: false,
      notes: `${measured}; round trip without proxy: p50 ${d.p50.toFixed(0)} µs` },
    { name: 'proxy.latency.p99', unit: 'µs added', ours: added(x, 'p99'), baseline: added(p, 'p99'), baselineName: 'plain Node pipe', higherIsBetter: false,
      notes: `${measured}; round trip without proxy: p99 ${d.p99.toFixed(0)} µs` },
    // The proxy as the UI starts it, with display filters running in the core (beside the same proxy idle).
    ...duringQueries,
    { name: 'proxy.latency.p99.cold', unit: 'µs added', ours: added(x, 'coldP99'), baseline: added(p, 'coldP99'), baselineName: 'plain Node pipe', higherIsBetter: false,
      notes: `the first ${coldCount} round trips after the hop started (median of ${rounds} rounds); without proxy: p99 ${d.coldP99.toFixed(0)} µs` },
    // The same round trips as they are, beside no proxy at all (the lines above subtract it).
    { name: 'proxy.latency.p50.direct', unit: 'µs round trip', ours: x.p50, baseline: d.p50, baselineName: 'no proxy (direct to the broker)', higherIsBetter: false,
      notes: `plain Node pipe: ${p.p50.toFixed(0)} µs; ${measured}` },
    { name: 'proxy.latency.p99.direct', unit: 'µs round trip', ours: x.p99, baseline: d.p99, baselineName: 'no proxy (direct to the broker)', higherIsBetter: false,
      notes: `plain Node pipe: ${p.p99.toFixed(0)} µs; ${measured}` },
  ];
}

/**
 * Round trips through a proxy started through the core (as the UI starts it), while display filters run through
 * the core's API without pause (bench/core-host.ts: a long legitimate one, and one that backtracks until the
 * time limit stops it) on a 200k-frame session of the same database; baseline: the same host, no filters.
 * The host runs in a process of its own, the client and echo broker here.
 */
export async function benchProxyDuringQueries(opts: { frames?: number; roundTrips?: number; rounds?: number } = {}): Promise<BenchResult[]> {
  const { openDb } = await import('../src-main/core/store/db.js');
  const { conversation, seedSession } = await import('../test/support/seed.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-bench-queries-'));
  const db = path.join(dir, 'q.db');
  const target = opts.frames ?? 200_000;
  const d = openDb(db);
  // conversation(n) is about 3.3 frames per n; then one body that makes the regular expression backtrack.
  function* frames() {
    let k = 0;
    for (const f of conversation(Math.ceil(target / 3.3), 4)) if (k++ < target - 1) yield f;
    yield { conn: 1, from: 'client' as const, command: 'SEND', headers: [['destination', '/queue/slow']] as Array<[string, string]>, body: 'a'.repeat(40) + '!' };
  }
  const seeded = seedSession(d, { name: 'bench: seeded', connections: 4, frames: frames() });
  d.close();
  const echoServer = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (x) => s.write(x));
  });
  const echoPort = await listen(echoServer);
  const rtCount = opts.roundTrips ?? 10_000;
  const rounds = opts.rounds ?? 3;
  const figures = { idle: { p50: [] as number[], p99: [] as number[] }, queries: { p50: [] as number[], p99: [] as number[] } };
  const queryCounts: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['idle', 'queries'] as const) {
      const { child, port, stderr } = await spawnHop(`core host (${mode})`, ['--import', 'tsx', 'bench/core-host.ts', db, String(echoPort), mode]);
      await roundTrips(port, 1000); // warm-up
      const rtts = (await roundTrips(port, rtCount)).sort((a, b) => a - b);
      const out = await new Promise<string>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve(stderr()));
        child.kill('SIGINT');
      });
      figures[mode].p50.push(pct(rtts, 50));
      figures[mode].p99.push(pct(rtts, 99));
      if (mode === 'queries') queryCounts.push(/queries: (.*)/.exec(out)?.[1] ?? '?');
    }
  }
  echoServer.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return [
    { name: 'proxy.latency.p99.during-queries', unit: 'µs round trip', ours: median(figures.queries.p99), baseline: median(figures.idle.p99),
      baselineName: 'the same proxy, no filters running', higherIsBetter: false,
      notes: `median of ${rounds} rounds of ${rtCount}; p50 ${median(figures.queries.p50).toFixed(0)} µs (idle ${median(figures.idle.p50).toFixed(0)} µs); `
        + `${seeded.frames}-frame session; filters per round (host started 3 s before): ${queryCounts.join(' / ')}` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./table.js');
  printTable(process.argv[2] === 'during-queries' ? await benchProxyDuringQueries() : await benchProxy());
}
