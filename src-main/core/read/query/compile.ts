// Display filter AST → a parameterised SQL condition over `frames f JOIN connections c`. Values are always
// bound parameters, never spliced into the SQL text; only fixed column names and function names are.
import type { CompareOp, Field, FilterExpr } from '../../../../shared/filter/ast.js';
import { parseFilter } from '../../../../shared/filter/parser.js';

export interface SqlCondition {
  sql: string;
  params: Array<string | number>;
  /** Needs the connections join (c.version), for header unescaping. */
  needsConnection: boolean;
}

const SQL_OP: Record<Exclude<CompareOp, 'contains' | 'matches'>, string> = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

const BODY = 'ss_body(f.connection_id, f.dir, f.body_offset, f.body_length)';
const HEADER = 'ss_header(f.headers, f.command, c.version, ?)';
// What proxy rules did to a frame is in frame_rules (one row per frame a rule acted on or made up); a frame without
// a row was forwarded as the peer sent it.
const RULE = '(SELECT r.rule FROM frame_rules r WHERE r.frame_id = f.id)';
const FORWARDED = 'coalesce((SELECT r.forwarded FROM frame_rules r WHERE r.frame_id = f.id), 1)';
const SYNTHESIZED = 'coalesce((SELECT r.synthesized FROM frame_rules r WHERE r.frame_id = f.id), 0)';

function column(field: Field, params: Array<string | number>, state: { conn: boolean }): string {
  switch (field.kind) {
    case 'command': return 'f.command';
    case 'destination': return 'f.destination';
    case 'from': return 'f.dir';
    // Connections and frames by their numbers within the session (`#k`, the No. column), as the UI shows them
    // (`conn` comparisons are compiled in compile(), as a lookup of the connections so numbered).
    case 'conn':
      state.conn = true;
      return 'c.number';
    case 'size': return 'f.length';
    case 'seq': return 'f.seq';
    case 'no': return 'f.number';
    case 'body': return BODY;
    case 'issue': return 'f.issues';
    case 'issueSeverity': return 'f.issues';
    case 'injected': return 'f.injected';
    case 'rule': return RULE;
    case 'forwarded': return FORWARDED;
    case 'synthesized': return SYNTHESIZED;
    case 'header':
      state.conn = true;
      params.push(field.name);
      return HEADER;
  }
}

function compile(e: FilterExpr, params: Array<string | number>, state: { conn: boolean }): string {
  switch (e.type) {
    case 'and':
    case 'or': {
      // A chain `a or b or c …` parses left-deep, one level per term; SQLite refuses expressions deeper than
      // 1000 and the recursion here would follow the chain. AND and OR are associative (also with NULLs), so
      // the chain's terms, in order, are joined as a balanced tree instead: depth log2(terms).
      const terms: FilterExpr[] = [];
      for (let x: FilterExpr = e; ; x = x.left) {
        if (x.type !== e.type) {
          terms.push(x);
          break;
        }
        terms.push(x.right);
      }
      terms.reverse();
      const op = e.type === 'and' ? ' AND ' : ' OR ';
      const join = (a: number, b: number): string => (b - a === 1 ? compile(terms[a], params, state) : `(${join(a, (a + b) >> 1)}${op}${join((a + b) >> 1, b)})`);
      return join(0, terms.length);
    }
    case 'not': return `(NOT coalesce(${compile(e.expr, params, state)}, 0))`;
    case 'exists':
      switch (e.field.kind) {
        case 'issue':
        case 'issueSeverity': return '(f.issues > 0)';
        case 'body': return '(f.body_length > 0)';
        case 'header': return `(${column(e.field, params, state)} IS NOT NULL)`;
        case 'destination': return '(f.destination IS NOT NULL)';
        case 'injected': return '(f.injected = 1)';
        case 'rule': return `(${RULE} IS NOT NULL)`;
        case 'forwarded': return `(${FORWARDED} = 1)`;
        case 'synthesized': return `(${SYNTHESIZED} = 1)`;
        default: return '1';
      }
    case 'compare': {
      const { field, op } = e;
      // `issue == "code"`: the frame has an issue with that code.
      if (field.kind === 'issue') {
        params.push(String(e.value.value));
        const cond = op === 'contains' ? 'instr(i.code, ?) > 0' : op === 'matches' ? 'ss_regexp(i.code, ?) = 1' : 'i.code = ?';
        const ex = `EXISTS (SELECT 1 FROM issues i WHERE i.frame_id = f.id AND ${cond})`;
        return op === '!=' ? `(NOT ${ex})` : `(${ex})`;
      }
      // `issue.severity == "warning"`: the frame has an issue of that severity (stored lower case).
      if (field.kind === 'issueSeverity') {
        params.push(op === '==' || op === '!=' ? String(e.value.value).toLowerCase() : String(e.value.value));
        const cond = op === 'contains' ? 'instr(i.severity, ?) > 0' : op === 'matches' ? 'ss_regexp(i.severity, ?) = 1' : 'i.severity = ?';
        const ex = `EXISTS (SELECT 1 FROM issues i WHERE i.frame_id = f.id AND ${cond})`;
        return op === '!=' ? `(NOT ${ex})` : `(${ex})`;
      }
      // `conn == 3`: the connection numbered 3 in the frame's session. Connection ids are unique across sessions, so
      // the ids of every connection numbered so, looked up once, select exactly those frames: no join per frame.
      if (field.kind === 'conn') {
        params.push(e.value.value);
        return `(f.connection_id IN (SELECT id FROM connections WHERE number ${op === '!=' ? '<>' : SQL_OP[op as keyof typeof SQL_OP]} ?))`;
      }
      let value: string | number = e.value.value;
      if (field.kind === 'from') value = String(value).toLowerCase() === 'client' ? 0 : 1;
      else if (field.kind === 'command' && typeof value === 'string') value = value.toUpperCase();
      const col = column(field, params, state);
      params.push(value);
      if (op === 'contains') return `(instr(${col}, ?) > 0)`;
      if (op === 'matches') return `(ss_regexp(${col}, ?) = 1)`;
      // A missing header or destination is neither equal nor unequal to anything: `!=` is true for it.
      if (op === '!=') return `(${col} IS NOT ?)`;
      return `(${col} ${SQL_OP[op]} ?)`;
    }
  }
}

/** Compiles a parsed filter; null (no filter) is every frame. */
export function compileFilter(expr: FilterExpr | null): SqlCondition {
  if (!expr) return { sql: '1', params: [], needsConnection: false };
  const params: Array<string | number> = [];
  const state = { conn: false };
  const sql = compile(expr, params, state);
  return { sql, params, needsConnection: state.conn };
}

/** Parses and compiles filter text (throws FilterSyntaxError). */
export function compileFilterText(text: string): SqlCondition {
  return compileFilter(parseFilter(text));
}
