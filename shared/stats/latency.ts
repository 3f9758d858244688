// Latency statistics of correlation links (SEND -> RECEIPT, MESSAGE -> ACK, CONNECT -> CONNECTED, …): nearest-rank
// percentiles and a histogram on 1-2-5 edges, so bins read as "1 ms – 2 ms" whatever the spread. Pure, for the
// core's `session.stats` and anything else that summarises latencies.

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  bins: Array<{ lo: number; hi: number; count: number }>;
}

/** The value at percentile `p` (0–100) of sorted values, by nearest rank: the smallest value with at least p% at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** 1-2-5 edges (1, 2, 5, 10, 20, 50, …) from the largest edge <= min to the first edge > max; values below 1 fall in [0, 1). */
export function edges125(min: number, max: number): number[] {
  const out: number[] = [];
  if (min < 1) out.push(0);
  let e = 1;
  // The first edge at or below max(min, 1).
  while (next125(e) <= Math.max(1, min)) e = next125(e);
  out.push(e);
  while (e <= max) {
    e = next125(e);
    out.push(e);
  }
  return out;
}

function next125(e: number): number {
  const decade = 10 ** Math.floor(Math.log10(e) + 1e-9);
  const m = Math.round(e / decade);
  return m === 1 ? 2 * decade : m === 2 ? 5 * decade : 10 * decade;
}

/** Summarises latencies (any order; negative ones, from clock steps in captures, count as 0). Sorts `values` in place. */
export function summarizeLatencies(values: Float64Array): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0, bins: [] };
  for (let i = 0; i < n; i++) if (values[i] < 0) values[i] = 0;
  values.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const min = values[0];
  const max = values[n - 1];
  const e = edges125(min, max);
  const bins = e.slice(0, -1).map((lo, i) => ({ lo, hi: e[i + 1], count: 0 }));
  // Values are sorted: one pass walks the bins in step.
  let b = 0;
  for (let i = 0; i < n; i++) {
    while (values[i] >= bins[b].hi) b++;
    bins[b].count++;
  }
  return { count: n, min, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max, mean: sum / n, bins };
}

/** "850 µs", "12.3 ms", "2.40 s". */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) {
    const ms = us / 1000;
    return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  }
  const s = us / 1e6;
  return `${s < 10 ? s.toFixed(2) : s < 100 ? s.toFixed(1) : Math.round(s)} s`;
}
