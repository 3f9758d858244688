// `npm run bench`: every benchmark, each figure beside a baseline measured in the same run.
// `npm run bench -- --json` prints one JSON object per line instead of the table:
//   {"name","unit","ours","baseline","baselineName","higherIsBetter"}  (the notes go to stderr, as "# name: notes")
// `npm run bench -- decoder proxy` runs only the named groups.
// `npm run bench -- --quick` shrinks the workloads of the groups that take a size (decoder, proxy, import's 2 GB row, capture, ui) to a smoke
// test of the harness: its figures are not the ones to publish.
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const badFlags = args.filter((a) => a.startsWith('--') && a !== '--json' && a !== '--quick');
if (badFlags.length) {
  process.stderr.write(`bench: unknown option(s) ${badFlags.join(', ')}; options: --json, --quick\n`);
  process.exit(2);
}

const groups: Record<string, () => Promise<BenchResult[]>> = {
  decoder: async () => (await import('./decoder.js')).benchDecoder(quick ? { corpusBytes: 2_000_000, repeats: 1 } : {}),
  store: async () => (await import('./store.js')).benchStore(),
  proxy: async () => (await import('./proxy.js')).benchProxy(
    quick ? { mixedMB: 2, smallFrames: 10_000, roundTrips: 200, latencyRounds: 1, coldRoundTrips: 100, warmupRoundTrips: 50, duringQueries: { frames: 20_000, roundTrips: 200, rounds: 1 } } : {},
  ),
  import: async () => {
    const m = await import('./import.js');
    return [...await m.benchImport(), ...await (quick ? m.benchImport2g(100_000_000, 50) : m.benchImport2g())];
  },
  capture: async () => (await import('./capture.js')).benchCapture(quick),
  ui: async () => (await import('./ui.js')).benchUi(quick ? { frames: 20_000 } : {}),
};

const unknown = only.filter((g) => !groups[g]);
if (unknown.length) {
  process.stderr.write(`bench: unknown group(s) ${unknown.join(', ')}; groups: ${Object.keys(groups).join(', ')}\n`);
  process.exit(2);
}

/** A figure for the JSON line: two decimals are plenty; a missing baseline (NaN: tool not installed) is null. */
const figure = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

/** The JSON line of one result: exactly the documented fields, in their order. */
export function jsonLine(r: BenchResult): string {
  return JSON.stringify({
    name: r.name, unit: r.unit, ours: figure(r.ours), baseline: figure(r.baseline), baselineName: r.baselineName, higherIsBetter: r.higherIsBetter,
  });
}

const results: BenchResult[] = [];
for (const [name, run] of Object.entries(groups)) {
  if (only.length && !only.includes(name)) continue;
  if (!json) process.stderr.write(`running ${name} benchmarks…\n`);
  const r = await run();
  results.push(...r);
  if (json) {
    for (const x of r) {
      process.stdout.write(jsonLine(x) + '\n');
      if (x.notes) process.stderr.write(`# ${x.name}: ${x.notes}\n`);
    }
  }
}
if (!json) {
  process.stdout.write(`\nStompScope benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores${quick ? ' — QUICK (smoke-test sizes, not for publishing)' : ''}\n\n`);
  printTable(results);
}
