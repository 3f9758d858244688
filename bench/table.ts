import type { BenchResult } from './types.js';

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

/** ours / baseline, oriented so that > 1 means we are better. */
export function advantage(r: BenchResult): number {
  if (r.higherIsBetter) return r.baseline === 0 ? Infinity : r.ours / r.baseline;
  return r.ours === 0 ? Infinity : r.baseline / r.ours;
}

export function printTable(results: BenchResult[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): void {
  const rows = results.map((r) => [r.name, `${fmt(r.ours)} ${r.unit}`, `${fmt(r.baseline)} ${r.unit}`, r.baselineName,
    r.higherIsBetter || r.ours !== 0 ? `${fmt(advantage(r))}x` : 'n/a', r.notes ?? '']);
  const head = ['benchmark', 'ours', 'baseline', 'baseline is', 'advantage', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 2 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  out(line(head));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) out(line(r));
}
