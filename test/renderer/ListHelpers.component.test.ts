// The pure parts of the list's menus and filter bar: "…as filter" combinations, the expressions for a cell, the
// "did you mean" slips, the completion, and the Time column's formats (µs precision).
import { describe, expect, it } from 'vitest';
import type { FrameRowDto } from '../../shared/api/index.js';
import { filterError } from '../../shared/filter/parser.js';
import { seconds, timeCell } from '../../src-renderer/src/lib/columns.svelte.js';
import { combine, complete, didYouMean, headerFilter, rowCellFilter } from '../../src-renderer/src/lib/filter-actions.js';

const row: FrameRowDto = {
  id: 7, number: 3, connection: 2, connectionNumber: 1, seq: 3, from: 'broker', time: '2023-11-14T22:13:20.004000Z', command: 'MESSAGE', destination: '/queue/a "b"', size: 99,
  issues: 0, t: 1_700_000_000_004_000, ref: 'sub-1', info: '', severity: null,
};

describe('apply / prepare as filter', () => {
  it('combines with the filter in force the six ways, grouping an or-chain', () => {
    const x = 'command == "SEND"';
    expect(combine('', x, 'selected')).toBe(x);
    expect(combine('conn == 1', x, 'not')).toBe('not command == "SEND"');
    expect(combine('conn == 1 or conn == 2', x, 'and')).toBe('(conn == 1 or conn == 2) and command == "SEND"');
    expect(combine('conn == 1', x, 'or')).toBe('conn == 1 or command == "SEND"');
    expect(combine('conn == 1', x, 'and-not')).toBe('conn == 1 and not command == "SEND"');
    expect(combine('conn == 1', 'a == 1 or b == 2', 'or-not')).toBe('conn == 1 or not (a == 1 or b == 2)');
    expect(combine('', x, 'and')).toBe(x);
  });

  it('makes a filter that parses for each cell, quoting values', () => {
    const exprs = ['no', 'conn', 'dir', 'command', 'destination', 'size', 'ref', 'info', 'time'].map((c) => rowCellFilter(row, c));
    expect(exprs).toEqual(['frame.number == 3', 'conn == 1', 'from == broker', 'command == "MESSAGE"', 'destination == "/queue/a \\"b\\""', 'size == 99',
      'header["subscription"] == "sub-1"', 'command == "MESSAGE"', 'command == "MESSAGE"']);
    for (const e of [...exprs, headerFilter('a:b', 'x\ny'), headerFilter('gone', null), rowCellFilter({ ...row, destination: null }, 'destination')]) {
      expect(filterError(e), e).toBeNull();
    }
  });
});

describe('did you mean', () => {
  it('offers == for =, and fixes other common slips, outside strings only', () => {
    expect(didYouMean('command = "SEND"')).toEqual({ text: 'command == "SEND"', why: 'did you mean "=="?' });
    expect(didYouMean('size === 3')?.text).toBe('size == 3');
    expect(didYouMean('size !== 3')?.text).toBe('size != 3');
    expect(didYouMean("destination == '/queue/a'")?.text).toBe('destination == "/queue/a"');
    expect(didYouMean('header.receipt == "r-1"')?.text).toBe('header["receipt"] == "r-1"');
    expect(didYouMean('body contains "a = b"')).toBeNull();
    expect(didYouMean('command == "SEND" and size >= 3 and size <= 9 and size != 4')).toBeNull();
  });
});

describe('completion', () => {
  const v = { commands: ['SEND', 'SUBSCRIBE', 'MESSAGE'], destinations: ['/queue/orders', '/topic/x'], headers: ['receipt', 'content-type'], issueCodes: ['receipt-missing'] };
  it('completes fields, then values by field, then header names', () => {
    expect(complete('dest', 4, v).items.map((c) => c.insert)).toEqual(['destination']);
    const cmd = complete('command == "S', 12, v);
    expect(cmd.items.map((c) => c.insert)).toEqual(['"SEND"', '"SUBSCRIBE"', '"MESSAGE"']);
    expect(cmd.from).toBe(11);
    expect(complete('destination contains "top', 26, v).items.map((c) => c.label)).toEqual(['/topic/x']);
    const h = complete('header["con', 11, v);
    expect(h.items.map((c) => c.insert)).toEqual(['"content-type"]']);
    expect(h.from).toBe(7);
    expect(complete('issue.code == "', 15, v).items.map((c) => c.label)).toEqual(['receipt-missing']);
  });
});

describe('the Time column', () => {
  it('shows seconds with µs: relative, absolute, delta from the previous shown frame, from the reference', () => {
    expect(seconds(1_500)).toBe('0.001500');
    expect(seconds(-2_000_001)).toBe('-2.000001');
    const t0 = row.t - 4_000;
    expect(timeCell('relative', row, t0, null, null)).toBe('0.004000');
    expect(timeCell('absolute', row, t0, null, null)).toBe('22:13:20.004000');
    expect(timeCell('delta', row, t0, row.t - 250, null)).toBe('0.000250');
    expect(timeCell('delta', row, t0, null, null)).toBe('0.000000');
    expect(timeCell('reference', row, t0, null, row.t + 1_000_000)).toBe('-1.000000');
  });
});
