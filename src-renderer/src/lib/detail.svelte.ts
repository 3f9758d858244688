import type { ApiClient, FrameDetailDto } from '../../../shared/api/index.js';
import { diffHeaders, diffLines, prettyIfJson, type HeaderDiffRow, type LineDiffRow } from '../../../shared/diff/diff.js';
import { asText, fromBase64 } from './bytes.js';
import type { FramePart } from './frame-parts.js';

export type BodyView = 'text' | 'json' | 'xml' | 'hex';

/** The selected frame's detail, and the two frames being compared. */
export class DetailState {
  detail = $state.raw<FrameDetailDto | null>(null);
  bodyView = $state<BodyView>('text');
  /** Show login, passcode and token-like headers as recorded instead of masked. */
  revealSecrets = $state(false);
  /** The part of the frame selected in the detail pane, highlighted in the bytes pane. */
  part = $state.raw<FramePart | null>(null);
  error = $state<string | null>(null);
  diffA = $state.raw<FrameDetailDto | null>(null);
  diffB = $state.raw<FrameDetailDto | null>(null);
  headerDiff = $state.raw<HeaderDiffRow[]>([]);
  bodyDiff = $state.raw<LineDiffRow[]>([]);
  private loading = 0;

  constructor(private readonly api: ApiClient) {}

  async load(id: number | null): Promise<void> {
    const n = ++this.loading;
    if (id === null) {
      this.detail = null;
      return;
    }
    try {
      const d = await this.api.invoke('frame.detail', { id, revealSecrets: this.revealSecrets });
      if (n !== this.loading) return;
      if (this.detail?.row.id !== d.row.id) this.part = null;
      this.detail = d;
      this.error = null;
      this.bodyView = initialBodyView(d);
    } catch (e) {
      if (n === this.loading) this.error = (e as Error).message;
    }
  }

  async setRevealSecrets(reveal: boolean): Promise<void> {
    this.revealSecrets = reveal;
    await this.load(this.detail?.row.id ?? null);
  }

  /** Said above the comparison: why A is not a frame of B's command. */
  diffNote = $state<string | null>(null);

  setA(): void {
    this.diffNote = null;
    this.diffA = this.detail;
    this.recompute();
  }

  setB(): void {
    this.diffNote = null;
    this.diffB = this.detail;
    this.recompute();
  }

  /** Compares the selected frame with the previous frame on the same destination. */
  async compareWithPrevious(): Promise<boolean> {
    const d = this.detail;
    if (!d) return false;
    const { id, sameCommand } = await this.api.invoke('frame.previousOnDestination', { id: d.row.id });
    if (id === null) {
      this.error = 'no earlier frame on this destination';
      return false;
    }
    this.diffA = await this.api.invoke('frame.detail', { id });
    this.diffNote = sameCommand ? null : `no earlier ${d.row.command} on ${d.row.destination}: compared with the previous frame there`;
    this.diffB = d;
    this.error = null;
    this.recompute();
    return true;
  }

  private recompute(): void {
    const a = this.diffA;
    const b = this.diffB;
    if (!a || !b) {
      this.headerDiff = [];
      this.bodyDiff = [];
      return;
    }
    const pairs = (d: FrameDetailDto) => d.headers.map((h) => [h.name, h.value] as [string, string]);
    this.headerDiff = diffHeaders(pairs(a), pairs(b));
    const body = (d: FrameDetailDto) => (d.bodyBase64 === null ? '' : (asText(fromBase64(d.bodyBase64)) ?? '(binary body)'));
    this.bodyDiff = diffLines(prettyIfJson(body(a)), prettyIfJson(body(b)));
  }
}

/** `application/json`, `application/problem+json`, `text/json; charset=utf-8`… */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(';')[0].trim().toLowerCase();
  return /^[a-z0-9.+-]+\/([a-z0-9.+-]+\+)?json$/.test(type);
}

/**
 * The body view a frame opens with: what its `content-type` says (JSON, XML), else a guess from the first
 * character; binary bodies as hex. The first `content-type` counts (STOMP 1.2 §Repeated Header Entries).
 */
export function initialBodyView(d: FrameDetailDto): BodyView {
  const text = d.bodyBase64 !== null ? asText(fromBase64(d.bodyBase64)) : null;
  if (text === null) return d.bodyLength > 0 ? 'hex' : 'text';
  const ct = d.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value;
  if (isJsonContentType(ct)) return 'json';
  if (ct && /^(application|text)\/([a-z0-9.+-]+\+)?xml\b/i.test(ct.trim())) return 'xml';
  const t = text.trim();
  return t.startsWith('{') || t.startsWith('[') ? 'json' : t.startsWith('<') ? 'xml' : 'text';
}
