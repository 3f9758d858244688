/** One line of the benchmark table: our figure beside a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  unit: string;
  ours: number;
  baseline: number;
  baselineName: string;
  higherIsBetter: boolean;
  /** Extra figures worth printing (e.g. the other baselines, frames/s beside MB/s). */
  notes?: string;
}
