// Proxy rules: a match written in the display-filter language (shared/filter) and an action the proxy takes on the
// frames it matches (delay, drop, rewrite, answer, inject, close, stall heart-beats, hold for the user). A rule set
// is an ordered list: the first enabled rule that matches a frame acts on it; frames no rule matches go through
// byte for byte.
//
// This file is pure: parsing and checking a rules file (one-line errors naming the rule and the field; warnings for
// a `when` that can never match), the static facts the proxy uses to decode only what the rules need (which
// commands and directions a rule can match), and matching one decoded frame.
import { FilterSyntaxError, type Field, type FilterExpr, type Value } from '../filter/ast.js';
import { fieldName, parseFilter } from '../filter/parser.js';
import { CLIENT_COMMANDS, KNOWN_COMMANDS, SERVER_COMMANDS } from '../stomp/spec.js';
import type { Direction } from '../stomp/types.js';

export const RULE_ACTIONS = [
  'delay', 'drop', 'set-header', 'remove-header', 'replace-body', 'map-destination', 'reply', 'inject', 'close', 'reset',
  'stall-heartbeats', 'break',
] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** One rule as written in a rules file (JSON) or in the UI's Rules panel. */
export interface Rule {
  name?: string;
  /** A display filter: `command == "MESSAGE" and destination == "/queue/orders"`. Empty: every frame. */
  when: string;
  do: RuleAction;
  /** false: kept in the list but not applied (the UI's checkbox). */
  enabled?: boolean;
  /** Act only on the first N matches. */
  times?: number;
  /** Act on a match with this probability (0..1). */
  probability?: number;
  /** delay, stall-heartbeats: milliseconds. */
  ms?: number;
  /** delay: up to this many milliseconds more, at random. */
  jitterMs?: number;
  /** set-header, remove-header: the header name. */
  header?: string;
  /** set-header: the value (plain text; escaped for the connection's version). */
  value?: string;
  /** replace-body, reply, inject: the body as text … */
  body?: string;
  /** … or as base64 (binary bodies). */
  bodyBase64?: string;
  /** map-destination: the new destination. */
  to?: string;
  /** reply, inject: the frame's command. */
  command?: string;
  /** reply, inject: the frame's headers (plain text, in order). */
  headers?: Array<[string, string]>;
  /** reply with ERROR: keep the connection open (by default it is closed after the ERROR, as brokers do). */
  keepOpen?: boolean;
}

/** A rule checked and ready to match. */
export interface CompiledRule {
  readonly rule: Rule;
  /** Its place in the list, from 1 (as errors and the UI number rules). */
  readonly index: number;
  /** The name shown and recorded: its `name`, else `rule N`. */
  readonly name: string;
  readonly expr: FilterExpr | null;
  /** The commands it can match (upper case); null: any. */
  readonly commands: ReadonlySet<string> | null;
  /** The directions it can match; null: both. */
  readonly dirs: ReadonlySet<Direction> | null;
  /** The body (replace-body, reply, inject) as bytes. */
  readonly bodyBytes: Uint8Array | null;
  readonly regexps: ReadonlyMap<string, RegExp>;
}

export interface RuleCheck {
  rules: CompiledRule[];
  errors: string[];
  warnings: string[];
}

/** Fields a rule's `when` cannot use: they are known only once a frame is recorded, not while it is forwarded. */
const RECORDING_ONLY = new Set<Field['kind']>(['no', 'issue', 'issueSeverity', 'rule', 'forwarded', 'synthesized']);
const KEYS = new Set(['name', 'when', 'do', 'enabled', 'times', 'probability', 'ms', 'jitterMs', 'header', 'value', 'body', 'bodyBase64', 'to',
  'command', 'headers', 'keepOpen']);
/** Most rules in one set: far beyond what a person writes; bounds the work done per frame. */
export const MAX_RULES = 1000;
const MAX_MS = 2_147_483_647; // what a timer takes

const CLIENT = new Set<string>(CLIENT_COMMANDS);
const SERVER = new Set<string>(SERVER_COMMANDS);
const KNOWN = new Set<string>(KNOWN_COMMANDS);

export function ruleLabel(index: number, rule: { name?: unknown }): string {
  return typeof rule.name === 'string' && rule.name.trim() ? `rule ${index} (${JSON.stringify(rule.name)})` : `rule ${index}`;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 4648 §4 base64 (padded) to bytes; null when it is not. Here by hand: shared/ has neither Buffer nor atob. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n = (B64.indexOf(text[i]) << 18) | (B64.indexOf(text[i + 1]) << 12) | ((B64.indexOf(text[i + 2]) & 63) << 6) | (B64.indexOf(text[i + 3]) & 63);
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Sets of commands and directions a filter can match: a sound over-approximation (null = anything). */
interface Reach {
  commands: Set<string> | null;
  dirs: Set<Direction> | null;
}

function intersect<T>(a: Set<T> | null, b: Set<T> | null): Set<T> | null {
  if (!a) return b;
  if (!b) return a;
  return new Set([...a].filter((x) => b.has(x)));
}
function union<T>(a: Set<T> | null, b: Set<T> | null): Set<T> | null {
  if (!a || !b) return null;
  return new Set([...a, ...b]);
}

function reach(e: FilterExpr): Reach {
  switch (e.type) {
    case 'and': {
      const l = reach(e.left);
      const r = reach(e.right);
      return { commands: intersect(l.commands, r.commands), dirs: intersect(l.dirs, r.dirs) };
    }
    case 'or': {
      const l = reach(e.left);
      const r = reach(e.right);
      return { commands: union(l.commands, r.commands), dirs: union(l.dirs, r.dirs) };
    }
    case 'not':
    case 'exists':
      return { commands: null, dirs: null };
    case 'compare':
      if (e.op === '==' && e.field.kind === 'command') return { commands: new Set([String(e.value.value).toUpperCase()]), dirs: null };
      if (e.op === '==' && e.field.kind === 'from') return { commands: null, dirs: new Set([String(e.value.value).toLowerCase() as Direction]) };
      return { commands: null, dirs: null };
  }
}

function fieldsOf(e: FilterExpr, out: Field[]): Field[] {
  if (e.type === 'and' || e.type === 'or') {
    fieldsOf(e.left, out);
    fieldsOf(e.right, out);
  } else if (e.type === 'not') fieldsOf(e.expr, out);
  else out.push(e.field);
  return out;
}

function regexpsOf(e: FilterExpr, out: Map<string, RegExp>): Map<string, RegExp> {
  if (e.type === 'and' || e.type === 'or') {
    regexpsOf(e.left, out);
    regexpsOf(e.right, out);
  } else if (e.type === 'not') regexpsOf(e.expr, out);
  else if (e.type === 'compare' && e.op === 'matches') out.set(String(e.value.value), new RegExp(String(e.value.value)));
  return out;
}

/** Who sends `command` (STOMP 1.2 §Client Frames, §Server Frames); null for an unknown command. */
function senderOf(command: string): Direction | null {
  return CLIENT.has(command) ? 'client' : SERVER.has(command) ? 'broker' : null;
}

/** Checks one rule; pushes errors and warnings in its words. */
function checkRule(raw: unknown, index: number, errors: string[], warnings: string[]): CompiledRule | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push(`rule ${index}: expected an object like {"when": "...", "do": "drop"}`);
    return null;
  }
  const r = raw as Record<string, unknown>;
  const label = ruleLabel(index, r);
  const err = (field: string, message: string) => errors.push(`${label}: ${field}: ${message}`);
  const before = errors.length;
  for (const k of Object.keys(r)) if (!KEYS.has(k)) err(k, `unknown field (fields: ${[...KEYS].join(', ')})`);
  if (r.name !== undefined && typeof r.name !== 'string') err('name', 'expected text');
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') err('enabled', 'expected true or false');
  if (typeof r.do !== 'string' || !(RULE_ACTIONS as readonly string[]).includes(r.do)) {
    err('do', `expected one of ${RULE_ACTIONS.join(', ')}${typeof r.do === 'string' ? `, got ${JSON.stringify(r.do)}` : ''}`);
  }
  const action = r.do as RuleAction;
  let expr: FilterExpr | null = null;
  if (typeof r.when !== 'string') err('when', 'expected a display filter as text, e.g. "command == \\"MESSAGE\\""');
  else {
    try {
      expr = parseFilter(r.when);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      err('when', `${e.message} (at ${e.start + 1})`);
    }
  }
  const fields = expr ? fieldsOf(expr, []) : [];
  for (const f of fields) {
    if (RECORDING_ONLY.has(f.kind)) err('when', `${fieldName(f)} is known only once a frame is recorded, not while it is forwarded`);
  }
  const num = (key: string, min: number, max: number, integer: boolean) => {
    const v = r[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      err(key, `expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  const text = (key: string, required: boolean) => {
    const v = r[key];
    if (v === undefined) {
      if (required) err(key, `${action} needs "${key}"`);
    } else if (typeof v !== 'string') err(key, 'expected text');
  };
  num('times', 1, Number.MAX_SAFE_INTEGER, true);
  num('probability', 0, 1, false);
  num('ms', 0, MAX_MS, true);
  num('jitterMs', 0, MAX_MS, true);
  if (r.keepOpen !== undefined && typeof r.keepOpen !== 'boolean') err('keepOpen', 'expected true or false');
  let bodyBytes: Uint8Array | null = null;
  if (r.body !== undefined && r.bodyBase64 !== undefined) err('bodyBase64', 'give "body" or "bodyBase64", not both');
  else if (r.bodyBase64 !== undefined) {
    bodyBytes = typeof r.bodyBase64 === 'string' ? base64ToBytes(r.bodyBase64) : null;
    if (!bodyBytes) err('bodyBase64', 'expected base64 text');
  } else if (r.body !== undefined) {
    if (typeof r.body !== 'string') err('body', 'expected text (or "bodyBase64" for binary bodies)');
    else bodyBytes = new TextEncoder().encode(r.body);
  }
  switch (action) {
    case 'delay':
    case 'stall-heartbeats':
      if (r.ms === undefined) err('ms', `${action} needs "ms" (milliseconds)`);
      break;
    case 'set-header':
      text('header', true);
      text('value', true);
      break;
    case 'remove-header':
      text('header', true);
      break;
    case 'replace-body':
      if (r.body === undefined && r.bodyBase64 === undefined) err('body', 'replace-body needs "body" or "bodyBase64"');
      break;
    case 'map-destination':
      text('to', true);
      break;
    case 'reply':
    case 'inject': {
      text('command', true);
      if (typeof r.command === 'string' && !/^[A-Z]+$/.test(r.command)) err('command', `expected a STOMP command in capitals, got ${JSON.stringify(r.command)}`);
      if (r.headers !== undefined) {
        const ok = Array.isArray(r.headers) && r.headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string' && h[0] !== '');
        if (!ok) err('headers', 'expected a list of [name, value] pairs of text, e.g. [["message", "forbidden"]]');
      }
      break;
    }
    default:
      break;
  }
  if (action !== 'set-header' && action !== 'remove-header' && r.header !== undefined) err('header', `not used by ${action}`);
  if (errors.length > before) return null;

  const ex = expr;
  const { commands, dirs } = ex ? reach(ex) : { commands: null, dirs: null };
  // Warnings: a `when` that can never match is almost always a typo (MESAGE) or a mixed-up direction.
  if (commands) {
    const unknown = [...commands].filter((c) => !KNOWN.has(c));
    if (unknown.length === commands.size) {
      warnings.push(`${label}: when: can never match: ${unknown.map((c) => JSON.stringify(c)).join(', ')} ${unknown.length === 1 ? 'is not a STOMP command' : 'are not STOMP commands'}`);
    } else if (dirs) {
      const possible = [...commands].filter((c) => { const s = senderOf(c); return s !== null && dirs.has(s); });
      if (possible.length === 0) warnings.push(`${label}: when: can never match: ${[...commands].join(', ')} never comes from ${[...dirs].join(' or ')}`);
    }
  } else if (dirs && dirs.size === 0) warnings.push(`${label}: when: can never match: no frame comes from both sides`);
  if ((action === 'reply' || action === 'inject') && typeof r.command === 'string' && !KNOWN.has(r.command)) {
    warnings.push(`${label}: command: ${JSON.stringify(r.command)} is not a STOMP command`);
  }
  if (r.probability === 0) warnings.push(`${label}: probability: 0 never acts`);
  const rule = r as unknown as Rule;
  return {
    rule, index, name: typeof r.name === 'string' && r.name.trim() ? r.name.trim() : `rule ${index}`, expr: ex, commands, dirs, bodyBytes,
    regexps: ex ? regexpsOf(ex, new Map()) : new Map(),
  };
}

/** Checks a parsed rules file: an array of rules, or a scenario ({"title", "description", "rules": [...]}). */
export function checkRules(json: unknown): RuleCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && Array.isArray((json as { rules?: unknown }).rules)) json = (json as { rules: unknown[] }).rules;
  if (!Array.isArray(json)) return { rules: [], errors: ['a rules file is a JSON array of rules, e.g. [{"when": "command == \\"SEND\\"", "do": "drop"}]'], warnings };
  if (json.length > MAX_RULES) return { rules: [], errors: [`${json.length} rules: at most ${MAX_RULES}`], warnings };
  const rules: CompiledRule[] = [];
  json.forEach((raw, i) => {
    const c = checkRule(raw, i + 1, errors, warnings);
    if (c) rules.push(c);
  });
  return { rules: errors.length ? [] : rules, errors, warnings };
}

/** Parses and checks the text of a rules file. */
export function checkRulesText(text: string): RuleCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { rules: [], errors: [`not JSON: ${(e as Error).message}`], warnings: [] };
  }
  return checkRules(json);
}

/** What a rule's `when` sees of a frame on its way through. */
export interface MatchFrame {
  dir: Direction;
  command: string;
  /** The header view (unescaped for the connection's version). */
  headers: readonly (readonly [string, string])[];
  /** The frame's bytes, command to NUL. */
  size: number;
  /** The frame's place among the connection's frames, both directions, from 0. */
  seq: number;
  /** The connection's number in this proxy, from 1. */
  conn: number;
  body: Uint8Array | null;
}

const utf8 = new TextDecoder('utf-8');

function fieldValue(f: Field, frame: MatchFrame, cache: { body?: string }): string | number | null {
  switch (f.kind) {
    case 'command': return frame.command;
    case 'destination': return headerOf(frame, 'destination');
    case 'from': return frame.dir;
    case 'conn': return frame.conn;
    case 'size': return frame.size;
    case 'seq': return frame.seq;
    case 'injected': return 0;
    case 'body':
      cache.body ??= frame.body ? utf8.decode(frame.body) : '';
      return cache.body;
    case 'header': return headerOf(frame, f.name);
    default: return null;
  }
}

function headerOf(frame: MatchFrame, name: string): string | null {
  // First occurrence wins (STOMP 1.2 §Repeated Header Entries).
  for (const [n, v] of frame.headers) if (n === name) return v;
  return null;
}

function compareValue(f: Field, v: Value): string | number {
  if (f.kind === 'command' && typeof v.value === 'string') return v.value.toUpperCase();
  if (f.kind === 'from') return String(v.value).toLowerCase();
  return v.value;
}

function evaluate(e: FilterExpr, frame: MatchFrame, rule: CompiledRule, cache: { body?: string }): boolean {
  switch (e.type) {
    case 'and': return evaluate(e.left, frame, rule, cache) && evaluate(e.right, frame, rule, cache);
    case 'or': return evaluate(e.left, frame, rule, cache) || evaluate(e.right, frame, rule, cache);
    case 'not': return !evaluate(e.expr, frame, rule, cache);
    case 'exists':
      switch (e.field.kind) {
        case 'body': return (frame.body?.length ?? 0) > 0;
        case 'header': return headerOf(frame, e.field.name) !== null;
        case 'destination': return headerOf(frame, 'destination') !== null;
        case 'injected': return false;
        default: return true;
      }
    case 'compare': {
      const actual = fieldValue(e.field, frame, cache);
      const want = compareValue(e.field, e.value);
      // As in the SQL the display filter compiles to: a missing header is unequal to everything, and nothing else.
      if (actual === null) return e.op === '!=';
      switch (e.op) {
        case '==': return actual === want;
        case '!=': return actual !== want;
        case '<': return actual < want;
        case '<=': return actual <= want;
        case '>': return actual > want;
        case '>=': return actual >= want;
        case 'contains': return String(actual).includes(String(want));
        case 'matches': return rule.regexps.get(String(e.value.value))!.test(String(actual));
      }
    }
  }
}

/** Whether `rule`'s `when` matches `frame`. */
export function ruleMatches(rule: CompiledRule, frame: MatchFrame): boolean {
  if (rule.dirs && !rule.dirs.has(frame.dir)) return false;
  if (rule.commands && !rule.commands.has(frame.command)) return false;
  return rule.expr === null || evaluate(rule.expr, frame, rule, {});
}

/** Whether any of `rules` could match a frame of `command` from `dir` (the proxy decodes only those frames). */
export function mayMatch(rules: readonly CompiledRule[], dir: Direction, command: string): boolean {
  for (const r of rules) {
    if (r.rule.enabled === false) continue;
    if (r.dirs && !r.dirs.has(dir)) continue;
    if (r.commands && !r.commands.has(command)) continue;
    return true;
  }
  return false;
}
