// `npm run bench -- --json`: one JSON object per line with exactly the documented fields. The decoder group runs
// for real at smoke-test size (--quick, a few seconds); the names the issue requires of the other groups (which
// take minutes, a browser or tshark) are checked where they are defined.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

const FIELDS = ['name', 'unit', 'ours', 'baseline', 'baselineName', 'higherIsBetter'];

describe('bench --json', () => {
  it('prints one object per line with exactly the documented fields (decoder group, --quick)', () => {
    const r = bench('decoder', '--quick', '--json');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(FIELDS);
      expect(typeof row.name).toBe('string');
      expect(typeof row.unit).toBe('string');
      expect(typeof row.baselineName).toBe('string');
      expect(typeof row.higherIsBetter).toBe('boolean');
      expect(row.ours).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
    }
    const byName = new Map(rows.map((x) => [x.name, x]));
    expect(byName.get('decoder.throughput')).toMatchObject({ unit: 'MB/s', baselineName: '@stomp/stompjs Parser', higherIsBetter: true });
    expect(byName.get('decoder.throughput.indexOf')).toMatchObject({ unit: 'MB/s', baselineName: expect.stringMatching(/indexOf/), higherIsBetter: true });
    // The notes are for people: on stderr, never mixed into the JSON lines.
    expect(r.stderr).toMatch(/^# decoder\.throughput: /m);
  });

  it('refuses unknown groups and options with exit status 2', () => {
    expect(bench('nonsense', '--json').status).toBe(2);
    expect(bench('decoder', '--jsno').status).toBe(2);
  });

  it('every name the issue asks for is produced by some group, with its baselines', () => {
    const sources = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(root, 'bench', f), 'utf8')).join('\n');
    for (const name of ['decoder.throughput', 'decoder.throughput.indexOf', 'proxy.throughput', 'proxy.throughput.direct', 'proxy.latency.p99', 'proxy.latency.p99.direct',
      'proxy.latency.p99.during-queries',
      'store.ingest', 'import.throughput', 'import.throughput.2g', 'ui.first-rows', 'ui.filter', 'ui.diagram.open']) {
      expect(sources, name).toContain(`name: '${name}'`);
    }
    expect(sources).toContain("baselineName: 'plain Node pipe'");
    expect(sources).toContain("baselineName: 'no proxy (direct to the broker)'");
    expect(sources).toContain("baselineName: 'tshark -q -z conv,tcp'");
  });
});
