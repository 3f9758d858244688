// Colouring rules, like Wireshark's View › Coloring Rules: display filter → row colour, first match wins. The core
// evaluates them with the display filter engine on the rows of each window it sends (so the same language, and a
// million-frame list costs no more than a screenful). Colours are design tokens, so every rule reads in both themes.
import { filterError } from '../../../shared/filter/parser.js';
import { readPreference, writePreference } from './preferences.js';

export interface ColourRule {
  name: string;
  filter: string;
  /** A design token (without `--`): a soft background that keeps text at AA contrast in both themes. */
  colour: string;
  enabled: boolean;
}

/** The backgrounds a rule may take. */
export const COLOURS: Array<{ token: string; label: string }> = [
  { token: 'danger-soft', label: 'Red' },
  { token: 'warning-soft', label: 'Amber' },
  { token: 'note-soft', label: 'Blue' },
  { token: 'ok-soft', label: 'Green' },
  { token: 'accent-soft', label: 'Accent' },
  { token: 'cmd-connect', label: 'Indigo (CONNECT)' },
  { token: 'cmd-send', label: 'Green (SEND)' },
  { token: 'cmd-message', label: 'Blue (MESSAGE)' },
  { token: 'cmd-subscribe', label: 'Violet (SUBSCRIBE)' },
  { token: 'cmd-ack', label: 'Olive (ACK)' },
  { token: 'cmd-nack', label: 'Orange (NACK)' },
  { token: 'cmd-receipt', label: 'Teal (RECEIPT)' },
  { token: 'cmd-error', label: 'Rose (ERROR)' },
  { token: 'cmd-disconnect', label: 'Grey (DISCONNECT)' },
];

export const DEFAULT_RULES: ColourRule[] = [
  { name: 'Errors', filter: 'issue.severity == error', colour: 'danger-soft', enabled: true },
  { name: 'Warnings', filter: 'issue.severity == warning', colour: 'warning-soft', enabled: true },
  { name: 'ERROR', filter: 'command == "ERROR"', colour: 'cmd-error', enabled: true },
  { name: 'Connect', filter: 'command == "CONNECT" or command == "STOMP" or command == "CONNECTED"', colour: 'cmd-connect', enabled: true },
  { name: 'SEND', filter: 'command == "SEND"', colour: 'cmd-send', enabled: true },
  { name: 'MESSAGE', filter: 'command == "MESSAGE"', colour: 'cmd-message', enabled: true },
  { name: 'Subscriptions', filter: 'command == "SUBSCRIBE" or command == "UNSUBSCRIBE"', colour: 'cmd-subscribe', enabled: true },
  { name: 'ACK', filter: 'command == "ACK"', colour: 'cmd-ack', enabled: true },
  { name: 'NACK', filter: 'command == "NACK"', colour: 'cmd-nack', enabled: true },
  { name: 'RECEIPT', filter: 'command == "RECEIPT"', colour: 'cmd-receipt', enabled: true },
  { name: 'DISCONNECT', filter: 'command == "DISCONNECT"', colour: 'cmd-disconnect', enabled: true },
];

const KEY = 'stompscope.colouring.v1';


export class ColouringState {
  rules = $state<ColourRule[]>(DEFAULT_RULES.map((r) => ({ ...r })));
  /** Colouring off altogether (Wireshark's View › Colorize Packet List). */
  on = $state(true);
  private listeners = new Set<() => void>();

  constructor() {
    const s = readPreference(KEY);
    if (Array.isArray(s.rules)) {
      this.rules = s.rules
        .filter((r): r is ColourRule => !!r && typeof r === 'object' && typeof (r as ColourRule).filter === 'string' && typeof (r as ColourRule).colour === 'string')
        .map((r) => ({ name: String(r.name ?? ''), filter: r.filter, colour: COLOURS.some((c) => c.token === r.colour) ? r.colour : 'accent-soft', enabled: r.enabled !== false }))
        .slice(0, 64);
    }
    if (typeof s.on === 'boolean') this.on = s.on;
  }

  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Replaces the rules (the dialog's OK) and tells the list to colour again. */
  set(rules: ColourRule[], on = this.on): void {
    this.rules = rules.map((r) => ({ ...r }));
    this.on = on;
    writePreference(KEY, { rules: this.rules, on: this.on });
    for (const f of this.listeners) f();
  }

  resetToDefaults(): void {
    this.set(DEFAULT_RULES, true);
  }

  /** The rules the core evaluates: enabled and valid, in order, with their place in `rules`. */
  get active(): { filters: string[]; index: number[] } {
    const filters: string[] = [];
    const index: number[] = [];
    if (!this.on) return { filters, index };
    this.rules.forEach((r, i) => {
      if (r.enabled && r.filter.trim() && !filterError(r.filter)) {
        filters.push(r.filter);
        index.push(i);
      }
    });
    return { filters, index };
  }
}

export const colouring = new ColouringState();
