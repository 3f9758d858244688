// "Apply as filter" / "Prepare as filter" (Wireshark's names): a display filter expression for a value the user
// pointed at, combined with the filter in force. Also the completion and the "did you mean" hints of the filter bar.
// Pure: unit-tested without a page.
import type { FrameRowDto } from '../../../shared/api/index.js';
import { FIELD_NAMES } from '../../../shared/filter/parser.js';

export type FilterMode = 'selected' | 'not' | 'and' | 'or' | 'and-not' | 'or-not';

export const FILTER_MODES: Array<{ mode: FilterMode; label: string }> = [
  { mode: 'selected', label: 'Selected' },
  { mode: 'not', label: 'Not selected' },
  { mode: 'and', label: '…and selected' },
  { mode: 'or', label: '…or selected' },
  { mode: 'and-not', label: '…and not selected' },
  { mode: 'or-not', label: '…or not selected' },
];

/** A string literal of the filter language (JSON's escapes are the language's). */
export const quote = (s: string): string => JSON.stringify(s);

/** Wraps an expression in parentheses when it holds a top-level `or` / `and` that would bind differently. */
function group(e: string): string {
  const t = e.trim();
  return /\s(or|and|\|\||&&)\s/i.test(t) && !(t.startsWith('(') && t.endsWith(')')) ? `(${t})` : t;
}

/** The filter text after "…as filter" with `mode`, from the filter in force `current`. */
export function combine(current: string, expr: string, mode: FilterMode): string {
  const cur = current.trim();
  const neg = `not ${group(expr)}`;
  switch (mode) {
    case 'selected': return expr;
    case 'not': return neg;
    case 'and': return cur ? `${group(cur)} and ${group(expr)}` : expr;
    case 'or': return cur ? `${group(cur)} or ${group(expr)}` : expr;
    case 'and-not': return cur ? `${group(cur)} and ${neg}` : neg;
    case 'or-not': return cur ? `${group(cur)} or ${neg}` : neg;
  }
}

/** The expression for one cell of a row (the column right-clicked), or for the row's command. */
export function rowCellFilter(row: FrameRowDto, column: string): string {
  switch (column) {
    case 'no': return `frame.number == ${row.number}`;
    case 'conn': return `conn == ${row.connectionNumber}`;
    case 'dir': return `from == ${row.from}`;
    case 'destination': return row.destination === null ? 'not destination' : `destination == ${quote(row.destination)}`;
    case 'size': return `size == ${row.size}`;
    case 'ref': return row.ref === null ? `command == ${quote(row.command)}` : refFilter(row);
    default:
      if (column.startsWith('h:')) return headerFilter(column.slice(2), row.columns?.[0] ?? null);
      return `command == ${quote(row.command)}`;
  }
}

/** The header the Sub / id / receipt column shows, by command (as the core picks it). */
function refFilter(row: FrameRowDto): string {
  const name: Record<string, string> = { SUBSCRIBE: 'id', UNSUBSCRIBE: 'id', MESSAGE: 'subscription', ACK: 'id', NACK: 'id', RECEIPT: 'receipt-id', ERROR: 'receipt-id', BEGIN: 'transaction', COMMIT: 'transaction', ABORT: 'transaction' };
  return headerFilter(name[row.command] ?? 'receipt', row.ref);
}

export function headerFilter(name: string, value: string | null): string {
  return value === null ? `not header[${quote(name)}]` : `header[${quote(name)}] == ${quote(value)}`;
}

export function issueFilter(code: string): string {
  return `issue.code == ${quote(code)}`;
}

/** The row as one line of text (Copy › Row as text), tab-separated like Wireshark's. */
export function rowText(row: FrameRowDto, time: string): string {
  return [row.number, time, `#${row.connectionNumber}`, row.from === 'client' ? '→' : '←', row.command, row.destination ?? '', row.ref ?? '', row.size, row.info].join('\t');
}

// ---- The filter bar's help ----

/**
 * Common slips in a filter that parses (or nearly): `=` for `==` (accepted, but not what Wireshark users expect to
 * type), `===`, `!==`, single quotes, `header.x` for `header["x"]`. The corrected text, with a short reason; null
 * when nothing looks slipped.
 */
export function didYouMean(text: string): { text: string; why: string } | null {
  // Work outside string literals only.
  const parts = text.split(/("(?:[^"\\]|\\.)*")/);
  let why = '';
  const fixed = parts.map((p, i) => {
    if (i % 2 === 1) return p;
    let q = p;
    if (/===/.test(q)) { q = q.replace(/===/g, '=='); why ||= '"===" is written "=="'; }
    if (/!==/.test(q)) { q = q.replace(/!==/g, '!='); why ||= '"!==" is written "!="'; }
    if (/(^|[^=!<>])=(?!=)/.test(q)) { q = q.replace(/(^|[^=!<>])=(?!=)/g, '$1=='); why ||= 'did you mean "=="?'; }
    if (/'[^']*'/.test(q)) { q = q.replace(/'([^'"\\]*)'/g, '"$1"'); why ||= 'strings take double quotes'; }
    if (/\bheaders?\.([A-Za-z][\w-]*)/.test(q)) { q = q.replace(/\bheaders?\.([A-Za-z][\w-]*)/g, 'header["$1"]'); why ||= 'a header is written header["name"]'; }
    return q;
  }).join('');
  return fixed !== text && why ? { text: fixed, why } : null;
}

export interface Vocabulary {
  commands: string[];
  destinations: string[];
  headers: string[];
  issueCodes: string[];
}

export interface Completion {
  /** What replaces the word being typed. */
  insert: string;
  /** What the list shows. */
  label: string;
  kind: 'field' | 'command' | 'destination' | 'header' | 'issue' | 'keyword';
}

const FIELDS = [...new Set(FIELD_NAMES.filter((f) => !f.startsWith('header')).concat(['header', 'frame.number']))];
const KEYWORDS = ['and', 'or', 'not', 'contains', 'matches'];

/**
 * Completions for the word before the caret: a field name; after `command ==` a command; after `destination ==` or
 * `contains` a destination; after `header[` a header name; after `issue.code ==` an issue code. `from`: where the
 * replaced word starts.
 */
export function complete(text: string, caret: number, v: Vocabulary, max = 12): { from: number; items: Completion[] } {
  const before = text.slice(0, caret);
  const header = /header\[\s*"?([^"\]]*)$/i.exec(before);
  if (header) {
    const from = caret - header[1].length - (before.endsWith(`"${header[1]}`) ? 1 : 0);
    return { from, items: pick(v.headers, header[1], (h) => ({ insert: `${quote(h)}]`, label: h, kind: 'header' }), max) };
  }
  const value = /\b(command|cmd|destination|dest|issue\.code|issue)\s*(==|!=|contains|=)\s*"?([^"\s]*)$/i.exec(before);
  if (value) {
    const field = value[1].toLowerCase();
    const typed = value[3];
    const from = caret - typed.length - (before.endsWith(`"${typed}`) ? 1 : 0);
    const [list, kind] = field.startsWith('c') ? [v.commands, 'command' as const] : field.startsWith('d') ? [v.destinations, 'destination' as const] : [v.issueCodes, 'issue' as const];
    return { from, items: pick(list, typed, (x) => ({ insert: quote(x), label: x, kind }), max) };
  }
  const word = /([A-Za-z_][\w.]*)$/.exec(before);
  if (!word) return { from: caret, items: [] };
  const typed = word[1];
  const from = caret - typed.length;
  const items = [
    ...pick(FIELDS, typed, (f) => ({ insert: f === 'header' ? 'header[' : f, label: f === 'header' ? 'header["name"]' : f, kind: 'field' as const }), max),
    ...pick(KEYWORDS, typed, (k) => ({ insert: k, label: k, kind: 'keyword' as const }), max),
  ].filter((c) => c.insert !== typed);
  return { from, items: items.slice(0, max) };
}

function pick(list: string[], typed: string, f: (x: string) => Completion, max: number): Completion[] {
  const t = typed.toLowerCase();
  const starts = list.filter((x) => x.toLowerCase().startsWith(t));
  const has = t ? list.filter((x) => !x.toLowerCase().startsWith(t) && x.toLowerCase().includes(t)) : [];
  return [...starts, ...has].slice(0, max).map(f);
}
