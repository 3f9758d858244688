// `npm run bench`: every benchmark, each figure beside a baseline measured in the same run.
// `npm run bench -- --json` prints one JSON object per line instead of the table.
// `npm run bench -- decoder proxy` runs only the named groups.
import { printTable } from './table.js';
import type { BenchResult } from './types.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));

const groups: Record<string, () => Promise<BenchResult[]>> = {
  decoder: async () => (await import('./decoder.js')).benchDecoder(),
  store: async () => (await import('./store.js')).benchStore(),
  proxy: async () => (await import('./proxy.js')).benchProxy(),
  import: async () => (await import('./import.js')).benchImport(),
  ui: async () => (await import('./ui.js')).benchUi(),
};

const unknown = only.filter((g) => !groups[g]);
if (unknown.length) {
  process.stderr.write(`bench: unknown group(s) ${unknown.join(', ')}; groups: ${Object.keys(groups).join(', ')}\n`);
  process.exit(2);
}

const results: BenchResult[] = [];
for (const [name, run] of Object.entries(groups)) {
  if (only.length && !only.includes(name)) continue;
  if (!json) process.stderr.write(`running ${name} benchmarks…\n`);
  const r = await run();
  results.push(...r);
  if (json) for (const x of r) process.stdout.write(JSON.stringify(x) + '\n');
}
if (!json) {
  process.stdout.write(`\nStompScope benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores\n\n`);
  printTable(results);
}
