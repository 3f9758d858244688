// Header diff and body line diff between two frames.
import { describe, expect, it } from 'vitest';
import { diffHeaders, diffLines, MAX_DIFF_LINES, prettyIfJson } from '../../shared/diff/diff.js';

describe('header diff', () => {
  it('shows headers added, removed, changed and the same, effective values only', () => {
    const a: Array<[string, string]> = [['destination', '/q/a'], ['receipt', 'r-1'], ['x-old', '1'], ['dup', 'first'], ['dup', 'second']];
    const b: Array<[string, string]> = [['destination', '/q/a'], ['receipt', 'r-2'], ['dup', 'first'], ['x-new', '2']];
    expect(diffHeaders(a, b)).toEqual([
      { name: 'destination', kind: 'same', a: '/q/a', b: '/q/a' },
      { name: 'receipt', kind: 'changed', a: 'r-1', b: 'r-2' },
      { name: 'x-old', kind: 'removed', a: '1', b: null },
      { name: 'dup', kind: 'same', a: 'first', b: 'first' },
      { name: 'x-new', kind: 'added', a: null, b: '2' },
    ]);
  });
});

describe('body line diff', () => {
  it('pretty-prints JSON first, so one changed field is one changed line', () => {
    const a = prettyIfJson('{"id":1,"items":[1,2],"note":"x"}');
    const b = prettyIfJson('{"id":2,"items":[1,2],"note":"x"}');
    const d = diffLines(a, b).filter((l) => l.kind !== 'same');
    expect(d).toEqual([{ kind: 'removed', text: '  "id": 1,', a: 2, b: null }, { kind: 'added', text: '  "id": 2,', a: null, b: 2 }]);
    expect(prettyIfJson('not json {')).toBe('not json {');
    expect(prettyIfJson('{broken')).toBe('{broken');
  });

  it('finds the longest common subsequence, with line numbers', () => {
    const d = diffLines('a\nb\nc\nd', 'a\nc\nd\ne');
    expect(d.map((l) => `${l.kind[0]}${l.text}`)).toEqual(['sa', 'rb', 'sc', 'sd', 'ae']);
    expect(d[4]).toMatchObject({ a: null, b: 4 });
    expect(diffLines('', '')).toEqual([{ kind: 'same', text: '', a: 1, b: 1 }]);
  });

  it('stays linear on huge bodies', () => {
    const big = Array.from({ length: MAX_DIFF_LINES + 10 }, (_, i) => `line ${i}`).join('\n');
    const other = Array.from({ length: MAX_DIFF_LINES + 10 }, (_, i) => `other ${i}`).join('\n');
    const d = diffLines(big, other);
    expect(d.filter((l) => l.kind === 'removed')).toHaveLength(MAX_DIFF_LINES + 10);
    expect(diffLines(big + '\nend', big + '\nEND').filter((l) => l.kind !== 'same')).toHaveLength(2);
  });
});
