// Parser of the display-filter language:
//
//   expr    := or
//   or      := and (("or" | "||") and)*
//   and     := unary (("and" | "&&") unary)*
//   unary   := ("not" | "!") unary | "(" expr ")" | test
//   test    := field [op value]
//   field   := command | destination | from | conn | size | seq | frame.number | no | body | issue | issue.code | issue.severity
//            | frame.injected | frame.rule | frame.forwarded | frame.synthesized | header "[" string "]"
//   op      := == | != | < | <= | > | >= | contains | matches
//   value   := "string" | number | bare word (client, broker, SEND…)
//
// Every error carries the [start, end) of the text it is about.
import { FilterSyntaxError, type CompareOp, type Field, type FilterExpr, type Value } from './ast.js';

type TokKind = 'word' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  value: string | number;
  start: number;
  end: number;
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '=', '~'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new FilterSyntaxError('unterminated string', start, src.length);
        const d = src[i];
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          if (e === undefined) throw new FilterSyntaxError('unterminated string', start, src.length);
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };
          if (!(e in map)) throw new FilterSyntaxError(`unknown escape \\${e} in a string`, i, i + 2);
          value += map[e];
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'string', text: src.slice(start, i), value, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < src.length && /[0-9A-Za-z_.]/.test(src[i])) i++;
      const text = src.slice(start, i);
      const m = /^(\d+)(k|kb|kib|m|mb|mib)?$/i.exec(text);
      if (!m) throw new FilterSyntaxError(`not a number: ${text}`, start, i);
      const mult = m[2] ? (m[2][0].toLowerCase() === 'k' ? 1024 : 1024 * 1024) : 1;
      out.push({ kind: 'number', text, value: Number(m[1]) * mult, start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_.\-/:]/.test(src[i])) i++;
      const text = src.slice(start, i);
      out.push({ kind: 'word', text, value: text, start, end: i });
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      i++;
      const kind = c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === '[' ? 'lbracket' : 'rbracket';
      out.push({ kind, text: c, value: c, start, end: i });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      i += op.length;
      out.push({ kind: 'op', text: op, value: op, start, end: i });
      continue;
    }
    throw new FilterSyntaxError(`unexpected character ${JSON.stringify(c)}`, i, i + 1);
  }
  out.push({ kind: 'eof', text: '', value: '', start: src.length, end: src.length });
  return out;
}

const FIELDS: Record<string, Field['kind']> = {
  command: 'command', cmd: 'command', destination: 'destination', dest: 'destination', from: 'from', dir: 'from',
  conn: 'conn', connection: 'conn', size: 'size', len: 'size', seq: 'seq', no: 'no', frame: 'no', body: 'body', issue: 'issue', issues: 'issue',
  // `issue.code == "…"` is `issue == "…"` spelled as in the Expert Info panel.
  'issue.code': 'issue', 'issue.severity': 'issueSeverity', 'frame.injected': 'injected', injected: 'injected',
  // The frame's number in its session (1..N, capture order), as the list shows it; `no` is its short form.
  'frame.number': 'no',
  'frame.rule': 'rule', 'frame.forwarded': 'forwarded', 'frame.synthesized': 'synthesized',
};
const NUMERIC = new Set<Field['kind']>(['conn', 'size', 'seq', 'no', 'injected', 'forwarded', 'synthesized']);
const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'matches']);

/**
 * Deepest nesting of "(" and "not" accepted. Far beyond what a person types; it bounds the parser's and the
 * compiler's recursion (a long CLI --filter of "((((…" would otherwise overflow the stack) and keeps the SQL
 * within SQLite's expression depth limit (1000), each level costing at most two.
 */
export const MAX_NESTING = 100;

export const FIELD_NAMES = ['command', 'destination', 'from', 'conn', 'size', 'seq', 'frame.number', 'no', 'body', 'issue', 'issue.code', 'issue.severity', 'frame.injected', 'frame.rule', 'frame.forwarded', 'frame.synthesized', 'header["name"]'];

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.pos];
  }
  private next(): Token {
    return this.toks[this.pos++];
  }
  private isWord(t: Token, ...w: string[]): boolean {
    return t.kind === 'word' && w.includes(t.text.toLowerCase());
  }

  parse(): FilterExpr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'eof') {
      throw new FilterSyntaxError(t.kind === 'rparen' ? 'unmatched ")"' : `expected "and", "or" or the end, found ${describe(t)}`, t.start, t.end);
    }
    return e;
  }

  private or(): FilterExpr {
    let left = this.and();
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'or') || (t.kind === 'op' && t.text === '||'))) return left;
      this.next();
      left = { type: 'or', left, right: this.and() };
    }
  }

  private and(): FilterExpr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!(this.isWord(t, 'and') || (t.kind === 'op' && t.text === '&&'))) return left;
      this.next();
      left = { type: 'and', left, right: this.unary() };
    }
  }

  private unary(): FilterExpr {
    const t = this.peek();
    const not = this.isWord(t, 'not') || (t.kind === 'op' && t.text === '!');
    if ((not || t.kind === 'lparen') && this.depth >= MAX_NESTING) {
      throw new FilterSyntaxError(`nested too deeply (at most ${MAX_NESTING} levels of "(" and "not")`, t.start, t.end);
    }
    if (not) {
      this.next();
      this.depth++;
      const expr = this.unary();
      this.depth--;
      return { type: 'not', expr };
    }
    if (t.kind === 'lparen') {
      this.next();
      this.depth++;
      const e = this.or();
      this.depth--;
      const close = this.peek();
      if (close.kind !== 'rparen') throw new FilterSyntaxError(`expected ")" to close the "(" at ${t.start + 1}, found ${describe(close)}`, close.start, Math.max(close.end, close.start + 1));
      this.next();
      return e;
    }
    return this.test();
  }

  private field(): { field: Field; start: number; end: number } {
    const t = this.next();
    if (t.kind === 'eof') throw new FilterSyntaxError(`expected a field (${FIELD_NAMES.join(', ')})`, t.start, t.start + 1);
    if (t.kind !== 'word' || KEYWORDS.has(t.text.toLowerCase())) {
      throw new FilterSyntaxError(`expected a field (${FIELD_NAMES.join(', ')}), found ${describe(t)}`, t.start, t.end);
    }
    const name = t.text.toLowerCase();
    if (name === 'header' || name === 'headers') {
      const lb = this.next();
      if (lb.kind !== 'lbracket') throw new FilterSyntaxError('expected [ after header, as in header["content-type"]', lb.start, Math.max(lb.end, lb.start + 1));
      const s = this.next();
      if (s.kind !== 'string' && s.kind !== 'word') throw new FilterSyntaxError('expected a header name in quotes', s.start, Math.max(s.end, s.start + 1));
      const rb = this.next();
      if (rb.kind !== 'rbracket') throw new FilterSyntaxError('expected ] after the header name', rb.start, Math.max(rb.end, rb.start + 1));
      return { field: { kind: 'header', name: String(s.value) }, start: t.start, end: rb.end };
    }
    const kind = FIELDS[name];
    if (!kind) throw new FilterSyntaxError(`unknown field "${t.text}" (fields: ${FIELD_NAMES.join(', ')})`, t.start, t.end);
    return { field: { kind } as Field, start: t.start, end: t.end };
  }

  private test(): FilterExpr {
    const { field, start, end } = this.field();
    const t = this.peek();
    let op: CompareOp | null = null;
    if (t.kind === 'op' && ['==', '=', '!=', '<', '<=', '>', '>='].includes(t.text)) op = (t.text === '=' ? '==' : t.text) as CompareOp;
    else if (this.isWord(t, 'contains', 'matches')) op = t.text.toLowerCase() as CompareOp;
    else if (t.kind === 'op' && t.text === '~') op = 'matches';
    if (!op) return { type: 'exists', field };
    this.next();
    const v = this.next();
    let value: Value;
    if (v.kind === 'string') value = { type: 'string', value: String(v.value) };
    else if (v.kind === 'number') value = { type: 'number', value: Number(v.value) };
    else if (v.kind === 'word' && !KEYWORDS.has(v.text.toLowerCase())) value = { type: 'string', value: v.text };
    else throw new FilterSyntaxError(`expected a value after ${op}, found ${describe(v)}`, v.start, Math.max(v.end, v.start + 1));
    this.check(field, op, value, start, end, v);
    return { type: 'compare', field, op, value };
  }

  private check(field: Field, op: CompareOp, value: Value, start: number, end: number, v: Token): void {
    const numeric = NUMERIC.has(field.kind);
    if (numeric && value.type !== 'number') throw new FilterSyntaxError(`${fieldName(field)} is a number; ${JSON.stringify(value.value)} is not`, v.start, v.end);
    if (numeric && (op === 'contains' || op === 'matches')) throw new FilterSyntaxError(`${op} needs text, and ${fieldName(field)} is a number`, start, end);
    if (!numeric && ['<', '<=', '>', '>='].includes(op)) throw new FilterSyntaxError(`${op} compares numbers, and ${fieldName(field)} is text`, start, end);
    if (field.kind === 'from') {
      if (op !== '==' && op !== '!=') throw new FilterSyntaxError('from is compared with == or != (client or broker)', start, end);
      const s = String(value.value).toLowerCase();
      if (s !== 'client' && s !== 'broker') throw new FilterSyntaxError('from is client or broker', v.start, v.end);
    }
    if (field.kind === 'issueSeverity' && (op === '==' || op === '!=')) {
      const s = String(value.value).toLowerCase();
      if (s !== 'error' && s !== 'warning' && s !== 'note') throw new FilterSyntaxError('issue.severity is error, warning or note', v.start, v.end);
    }
    if (op === 'matches') {
      try {
        new RegExp(String(value.value));
      } catch (e) {
        throw new FilterSyntaxError(`bad regular expression: ${(e as Error).message}`, v.start, v.end);
      }
    }
  }
}

export function fieldName(f: Field): string {
  if (f.kind === 'header') return `header[${JSON.stringify(f.name)}]`;
  if (f.kind === 'issueSeverity') return 'issue.severity';
  if (f.kind === 'injected' || f.kind === 'rule' || f.kind === 'forwarded' || f.kind === 'synthesized') return `frame.${f.kind}`;
  return f.kind;
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end' : JSON.stringify(t.text);
}

/** Parses a display filter. An empty (or blank) filter is null: every frame. Throws FilterSyntaxError. */
export function parseFilter(src: string): FilterExpr | null {
  if (!src.trim()) return null;
  return new Parser(tokenize(src)).parse();
}

/** The syntax error of a filter, or null when it parses. */
export function filterError(src: string): FilterSyntaxError | null {
  try {
    parseFilter(src);
    return null;
  } catch (e) {
    if (e instanceof FilterSyntaxError) return e;
    throw e;
  }
}
