import { GuardedAction } from './guarded-action.svelte.js';
import {
  INJECTABLE_COMMANDS, type ApiClient, type EditedFrameDto, type InjectResultDto, type ResendArgsDto, type ResendDraftDto, type ResendResultDto,
} from '../../../shared/api/index.js';
import { isOriginalBroker, parseTarget } from '../../../shared/replay-target.js';
import { targetTlsArgs } from './target.js';
import { isSecretHeader, MASK } from '../../../shared/stomp/secrets.js';
import { asText, fromBase64, parseHex, toBase64, toHex } from './bytes.js';

export interface EditHeader {
  name: string;
  value: string;
}

export type BodyMode = 'text' | 'hex';

/** Where the edited frame goes: a new connection to a broker typed here, or into the recorded connection while it is live. */
export type ResendMode = 'new' | 'inject';

/** What a new CONNECT starts as when the connection has none recorded (a capture that began mid-connection). */
const FRESH_CONNECT: EditHeader[] = [{ name: 'accept-version', value: '1.0,1.1,1.2' }, { name: 'host', value: '/' }];

const toEdit = (f: EditedFrameDto): EditHeader[] => f.headers.map(([name, value]) => ({ name, value }));
const pairs = (hs: EditHeader[]): Array<[string, string]> => hs.filter((h) => h.name !== '').map((h) => [h.name, h.value]);

/**
 * "Edit and resend…": a recorded client frame opened in an editor (command, headers, body as text or hex), sent on
 * a new connection to a chosen broker after a CONNECT copied from the original (editable), or injected into the
 * frame's own connection while a proxy of this StompScope still carries it (`frame.inject`). Masked credentials
 * come from the core as MASK and must be re-entered before anything can be sent.
 */
export class ResendState extends GuardedAction {
  draft = $state.raw<ResendDraftDto | null>(null);
  command = $state('');
  headers = $state<EditHeader[]>([]);
  bodyMode = $state<BodyMode>('text');
  body = $state('');
  withConnect = $state(true);
  connectCommand = $state('CONNECT');
  connectHeaders = $state<EditHeader[]>([]);
  /** Never pre-filled, as in the replay dialog. */
  target = $state('');
  targetTls = $state(false);
  insecure = $state(false);
  ca = $state<string | undefined>();
  timeoutS = $state(10);
  name = $state('');
  result = $state.raw<ResendResultDto | null>(null);
  mode = $state<ResendMode>('new');
  injected = $state.raw<InjectResultDto | null>(null);

  constructor(private readonly api: ApiClient) {
    super();
  }

  get isOpen(): boolean {
    return this.draft !== null;
  }

  async openFor(id: number): Promise<void> {
    try {
      const d = await this.api.invoke('frame.resendDraft', { id });
      this.close();
      this.draft = d;
      this.command = d.frame.command;
      this.headers = toEdit(d.frame);
      const bytes = fromBase64(d.frame.bodyBase64);
      const text = asText(bytes);
      this.bodyMode = text === null ? 'hex' : 'text';
      this.body = text ?? toHex(bytes);
      // A CONNECT being resent is itself the first frame: nothing goes before it.
      const isConnect = d.frame.command === 'CONNECT' || d.frame.command === 'STOMP';
      this.withConnect = !isConnect;
      this.connectCommand = d.connect?.command ?? 'CONNECT';
      this.connectHeaders = d.connect ? toEdit(d.connect) : FRESH_CONNECT.map((h) => ({ ...h }));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  close(): void {
    this.draft = null;
    this.target = '';
    this.confirming = false;
    this.error = null;
    this.result = null;
    this.mode = 'new';
    this.injected = null;
  }

  /** Whether the frame's connection is live in a proxy of this StompScope (as the core said when the editor opened). */
  get canInject(): boolean {
    return !!this.draft?.inject?.available;
  }

  /** Why injection is not offered, in words. */
  get injectUnavailable(): string {
    return this.draft?.inject?.reason ?? 'only a connection open in a proxy started in this window takes injected frames';
  }

  setMode(mode: ResendMode): void {
    if (mode === 'inject' && !this.canInject) return;
    this.mode = mode;
    this.confirming = false;
    this.error = null;
  }

  /** Credential headers still holding the mask: they must be typed again (a masked value is never sent). */
  get masked(): string[] {
    const still = (hs: EditHeader[]) => hs.filter((h) => isSecretHeader(h.name) && h.value === MASK).map((h) => h.name);
    return [...(this.withConnect && this.mode === 'new' ? still(this.connectHeaders) : []), ...still(this.headers)];
  }

  /** The body's bytes as edited, or null when the hex does not parse. */
  get bodyBytes(): Uint8Array | null {
    return this.bodyMode === 'text' ? new TextEncoder().encode(this.body) : parseHex(this.body);
  }

  /**
   * After the body changed: a content-length header follows the new byte count. A stale one makes the broker read
   * past the frame's end (STOMP 1.2 §Header content-length) and drop the connection; a deliberately wrong one is
   * set after editing the body.
   */
  bodyEdited(): void {
    const n = this.bodyBytes?.length;
    if (n === undefined) return;
    const i = this.headers.findIndex((h) => h.name === 'content-length');
    if (i >= 0 && this.headers[i].value !== String(n)) this.headers[i].value = String(n);
  }

  /** Switches the body editor between text and hex, converting what is there; refuses text for non-UTF-8 bytes. */
  setBodyMode(mode: BodyMode): void {
    if (mode === this.bodyMode) return;
    const bytes = this.bodyBytes;
    if (bytes === null) {
      this.error = 'the hex is not whole bytes: fix it before switching to text';
      return;
    }
    const text = mode === 'text' ? asText(bytes) : toHex(bytes);
    if (text === null) {
      this.error = 'the body is not UTF-8 text: edit it as hex';
      return;
    }
    this.error = null;
    this.body = text;
    this.bodyMode = mode;
  }

  get targetIsOriginal(): boolean {
    return this.draft !== null && isOriginalBroker(this.target, this.draft.broker);
  }

  /** Why it cannot be sent yet, or null. */
  get problem(): string | null {
    if (this.mode === 'inject') {
      const c = this.command.trim();
      if (!(INJECTABLE_COMMANDS as readonly string[]).includes(c)) {
        return c === 'CONNECT' || c === 'STOMP' ? `${c} cannot be injected: the connection is already connected` : `only client commands can be injected (${INJECTABLE_COMMANDS.join(', ')})`;
      }
    } else {
      const t = parseTarget(this.target);
      if (typeof t === 'string') return t;
    }
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(this.command)) return 'the command must be a word (e.g. SEND)';
    const masked = this.masked;
    if (masked.length) return `re-enter ${masked.join(', ')}: masked values are never sent`;
    if (this.bodyBytes === null) return 'the body hex is not whole bytes (two hex digits each)';
    if (!(this.timeoutS > 0)) return 'the timeout must be above 0';
    return null;
  }

  addHeader(connect = false): void {
    if (connect) this.connectHeaders = [...this.connectHeaders, { name: '', value: '' }];
    else this.headers = [...this.headers, { name: '', value: '' }];
  }

  removeHeader(i: number, connect = false): void {
    if (connect) this.connectHeaders = this.connectHeaders.filter((_, k) => k !== i);
    else this.headers = this.headers.filter((_, k) => k !== i);
  }

  args(confirmed: boolean): ResendArgsDto {
    const d = this.draft!;
    const a: ResendArgsDto = {
      id: d.id, target: this.target.trim(), timeoutMs: Math.round(this.timeoutS * 1000),
      connect: this.withConnect ? { command: this.connectCommand, headers: pairs(this.connectHeaders), bodyBase64: '' } : null,
      frame: { command: this.command.trim(), headers: pairs(this.headers), bodyBase64: toBase64(this.bodyBytes ?? new Uint8Array(0)) },
    };
    Object.assign(a, targetTlsArgs(this));
    if (this.name.trim()) a.name = this.name.trim();
    if (confirmed) a.confirmOriginalBroker = true;
    return a;
  }

  /** Sends; against the original broker the first call only asks (`confirming`). */
  async send(confirmed = false): Promise<void> {
    if (!this.draft || this.problem || this.busy) return;
    if (this.mode === 'inject') return this.inject();
    if (this.mustAsk(this.targetIsOriginal, confirmed)) return;
    this.result = null;
    await this.run(async () => {
      this.result = await this.api.invoke('frame.resend', this.args(confirmed && this.targetIsOriginal));
    });
  }

  /** Into the live connection, at the next boundary between the client's frames. */
  private async inject(): Promise<void> {
    const d = this.draft!;
    this.injected = null;
    await this.run(async () => {
      this.injected = await this.api.invoke('frame.inject', {
        connection: d.connection, timeoutMs: Math.round(this.timeoutS * 1000),
        frame: { command: this.command.trim(), headers: pairs(this.headers), bodyBase64: toBase64(this.bodyBytes ?? new Uint8Array(0)) },
      });
    });
  }
}
