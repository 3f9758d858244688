// The display-filter language (Wireshark-like), as an AST. Parsed in shared/ so the UI can show syntax errors
// as you type; compiled to SQL only in the core (src-main/core/read/query), never evaluated over frames in the UI.

export type Field =
  | { kind: 'command' }
  | { kind: 'destination' }
  | { kind: 'from' }
  | { kind: 'conn' }
  | { kind: 'size' }
  | { kind: 'seq' }
  | { kind: 'no' }
  | { kind: 'body' }
  | { kind: 'issue' }
  /** `frame.injected`: StompScope wrote the frame into a live connection (edit and resend into a proxied connection); 1 or 0. */
  | { kind: 'injected' }
  /** `frame.rule`: the name of the proxy rule that acted on the frame (text; bare: a rule acted on it). */
  | { kind: 'rule' }
  /** `frame.forwarded`: the frame reached the other peer (0: a rule dropped it, or answered it instead); 1 or 0. */
  | { kind: 'forwarded' }
  /** `frame.synthesized`: a rule made the frame up (a reply, an injected frame); 1 or 0. */
  | { kind: 'synthesized' }
  /** `issue.severity`: the frame has an issue of that severity (error, warning, note). */
  | { kind: 'issueSeverity' }
  | { kind: 'header'; name: string };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'matches';

export type Value = { type: 'string'; value: string } | { type: 'number'; value: number };

export type FilterExpr =
  | { type: 'and'; left: FilterExpr; right: FilterExpr }
  | { type: 'or'; left: FilterExpr; right: FilterExpr }
  | { type: 'not'; expr: FilterExpr }
  /** A bare field: `issue` (has issues), `header["x"]` (has the header), `body` (non-empty body). */
  | { type: 'exists'; field: Field }
  | { type: 'compare'; field: Field; op: CompareOp; value: Value };

export class FilterSyntaxError extends Error {
  /** [start, end) in the filter text, for an inline marker. */
  constructor(message: string, readonly start: number, readonly end: number) {
    super(message);
  }
}
