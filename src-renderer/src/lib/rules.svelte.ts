import type { ApiClient, HeldFrameDto } from '../../../shared/api/index.js';
import { checkRules, RULE_ACTIONS, type Rule, type RuleAction } from '../../../shared/rules/rules.js';
import { SCENARIOS } from '../../../shared/rules/scenarios.js';
import { asText, fromBase64, toBase64 } from './bytes.js';

/** One rule as the Rules panel edits it: every field as text, so that half-typed values stay as typed. */
export interface EditRule {
  key: number;
  enabled: boolean;
  name: string;
  when: string;
  do: RuleAction;
  ms: string;
  jitterMs: string;
  header: string;
  value: string;
  body: string;
  to: string;
  command: string;
  /** reply, inject: one `name: value` per line. */
  headers: string;
  keepOpen: boolean;
  times: string;
  probability: string;
}

export interface EditHeader {
  name: string;
  value: string;
}

/** Which fields each action takes (the panel shows only those). */
export const ACTION_FIELDS: Record<RuleAction, ReadonlyArray<keyof EditRule>> = {
  delay: ['ms', 'jitterMs'], drop: [], 'set-header': ['header', 'value'], 'remove-header': ['header'], 'replace-body': ['body'],
  'map-destination': ['to'], reply: ['command', 'headers', 'body', 'keepOpen'], inject: ['command', 'headers', 'body'], close: [], reset: [],
  'stall-heartbeats': ['ms'], break: [],
};

export const ACTIONS = RULE_ACTIONS;

let nextKey = 1;

function toEdit(r: Partial<Rule>): EditRule {
  return {
    key: nextKey++, enabled: r.enabled !== false, name: r.name ?? '', when: r.when ?? '', do: r.do ?? 'delay', ms: r.ms === undefined ? '' : String(r.ms),
    jitterMs: r.jitterMs === undefined ? '' : String(r.jitterMs), header: r.header ?? '', value: r.value ?? '', body: r.body ?? '', to: r.to ?? '',
    command: r.command ?? '', headers: (r.headers ?? []).map(([n, v]) => `${n}: ${v}`).join('\n'), keepOpen: !!r.keepOpen,
    times: r.times === undefined ? '' : String(r.times), probability: r.probability === undefined ? '' : String(r.probability),
  };
}

/** The rule as the core takes it (a rules file's object): only the fields its action uses. */
export function toRule(e: EditRule): Record<string, unknown> {
  const out: Record<string, unknown> = { when: e.when, do: e.do };
  if (e.name.trim()) out.name = e.name.trim();
  if (!e.enabled) out.enabled = false;
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  if (e.times.trim()) out.times = num(e.times);
  if (e.probability.trim()) out.probability = num(e.probability);
  for (const f of ACTION_FIELDS[e.do]) {
    if (f === 'ms' || f === 'jitterMs') {
      if (e[f].trim()) out[f] = num(e[f]);
    } else if (f === 'headers') {
      out.headers = e.headers.split('\n').filter((l) => l.trim()).map((l) => {
        const at = l.indexOf(':');
        return at < 0 ? [l.trim(), ''] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
      });
    } else if (f === 'keepOpen') {
      if (e.keepOpen) out.keepOpen = true;
    } else if (e[f] !== '' || f === 'value' || f === 'body') out[f] = e[f];
  }
  return out;
}

/**
 * The Rules panel of one proxy (add, edit, reorder, enable and disable rules; load a scenario; apply while traffic
 * flows) and the intercept queue of frames `break` rules hold (forward, drop, or forward edited).
 */
export class RulesState {
  /** The proxy whose rules are open (its session), or null when the panel is closed. */
  session = $state<number | null>(null);
  rules = $state<EditRule[]>([]);
  holdTimeoutS = $state('60');
  warnings = $state<string[]>([]);
  error = $state<string | null>(null);
  /** The rules in force are the ones shown. */
  applied = $state(true);
  busy = $state(false);
  held = $state.raw<HeldFrameDto[]>([]);
  queueOpen = $state(false);
  selected = $state<number | null>(null);
  editCommand = $state('');
  editHeaders = $state<EditHeader[]>([]);
  editBody = $state('');
  queueError = $state<string | null>(null);

  constructor(private readonly api: ApiClient) {
    api.on('intercept.changed', () => void this.refreshHeld());
  }

  get scenarios() {
    return SCENARIOS;
  }

  async open(session: number): Promise<void> {
    this.error = null;
    try {
      const r = await this.api.invoke('proxy.rules', { session });
      this.rules = r.rules.map((x) => toEdit(x as Partial<Rule>));
      this.holdTimeoutS = String(Math.round(r.holdTimeoutMs / 1000));
      this.warnings = r.warnings;
      this.applied = true;
      this.session = session;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  close(): void {
    this.session = null;
  }

  changed(): void {
    this.applied = false;
    this.error = null;
  }

  add(): void {
    this.rules = [...this.rules, toEdit({ when: 'command == "MESSAGE"', do: 'delay', ms: 1000 })];
    this.changed();
  }

  remove(key: number): void {
    this.rules = this.rules.filter((r) => r.key !== key);
    this.changed();
  }

  move(key: number, by: -1 | 1): void {
    const i = this.rules.findIndex((r) => r.key === key);
    const j = i + by;
    if (i < 0 || j < 0 || j >= this.rules.length) return;
    const next = [...this.rules];
    [next[i], next[j]] = [next[j], next[i]];
    this.rules = next;
    this.changed();
  }

  loadScenario(id: string): void {
    const s = SCENARIOS.find((x) => x.id === id);
    if (!s) return;
    this.rules = [...this.rules, ...s.rules.map((r) => toEdit(r))];
    this.changed();
  }

  /** What the core would say of the rules as typed (one line per mistake), before they are applied. */
  get problems(): string[] {
    return checkRules(this.rules.map(toRule)).errors;
  }

  async apply(): Promise<void> {
    if (this.session === null) return;
    this.busy = true;
    this.error = null;
    try {
      const holdTimeoutMs = Math.round(Number(this.holdTimeoutS) * 1000);
      const r = await this.api.invoke('proxy.setRules', {
        session: this.session, rules: this.rules.map(toRule), ...(Number.isFinite(holdTimeoutMs) && holdTimeoutMs >= 1000 ? { holdTimeoutMs } : {}),
      });
      this.warnings = r.warnings;
      this.applied = true;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async refreshHeld(): Promise<void> {
    try {
      this.held = await this.api.invoke('intercept.list', {});
    } catch {
      this.held = [];
    }
    if (this.selected !== null && !this.held.some((h) => h.id === this.selected)) this.selected = null;
    if (this.selected === null && this.queueOpen && this.held.length) this.select(this.held[0].id);
  }

  openQueue(): void {
    this.queueOpen = true;
    this.queueError = null;
    if (this.selected === null && this.held.length) this.select(this.held[0].id);
  }

  closeQueue(): void {
    this.queueOpen = false;
  }

  select(id: number): void {
    const h = this.held.find((x) => x.id === id);
    if (!h) return;
    this.selected = id;
    this.editCommand = h.command;
    this.editHeaders = h.headers.map(([name, value]) => ({ name, value }));
    this.editBody = asText(fromBase64(h.bodyBase64)) ?? '';
    this.queueError = null;
  }

  async decide(what: 'forward' | 'drop' | 'edit'): Promise<void> {
    const id = this.selected;
    if (id === null) return;
    this.queueError = null;
    try {
      const frame = what === 'edit'
        ? {
          command: this.editCommand.trim(), headers: this.editHeaders.filter((h) => h.name !== '').map((h) => [h.name, h.value] as [string, string]),
          bodyBase64: toBase64(new TextEncoder().encode(this.editBody)),
        }
        : undefined;
      const r = await this.api.invoke('intercept.decide', { id, do: what, ...(frame ? { frame } : {}) });
      if (!r.decided) this.queueError = 'Already decided: its time ran out, or its connection closed.';
      this.selected = null;
      await this.refreshHeld();
    } catch (e) {
      this.queueError = (e as Error).message;
    }
  }
}
