import { GuardedAction } from './guarded-action.svelte.js';
import type { ApiClient, ConnectionDto, Events, ReplayDiffDto, ReplayStartDto } from '../../../shared/api/index.js';
import { isOriginalBroker, parseTarget } from '../../../shared/replay-target.js';
import { targetTlsArgs } from './target.js';

export interface Mapping {
  from: string;
  to: string;
}

type Done = Events['replay.done'];

/**
 * The "Replay connection…" dialog: its options, the confirmation asked before replaying against the broker the
 * connection was recorded with, the job's progress and findings, and the replay diff afterwards.
 */
export class ReplayState extends GuardedAction {
  /** The connection being replayed; null while the dialog is closed. */
  connection = $state.raw<ConnectionDto | null>(null);
  /** Never pre-filled: not even with the original broker, which is the one place it must not go by accident. */
  target = $state('');
  targetTls = $state(false);
  insecure = $state(false);
  ca = $state<string | undefined>();
  asFastAsPossible = $state(false);
  speed = $state(1);
  login = $state('');
  passcode = $state('');
  mappings = $state<Mapping[]>([]);
  until = $state('');
  timeoutS = $state(10);
  name = $state('');
  job = $state<number | null>(null);
  sent = $state(0);
  total = $state(0);
  result = $state.raw<Done | null>(null);
  diff = $state.raw<ReplayDiffDto | null>(null);
  /** Show credential header values in the diff as recorded (masked otherwise, as in the frame detail). */
  diffRevealSecrets = $state(false);
  /** Events of jobs whose id the answer to replay.start has not told yet (an event can overtake the answer). */
  private readonly early = new Map<number, { progress?: Events['replay.progress']; done?: Done }>();

  constructor(private readonly api: ApiClient) {
    super();
    api.on('replay.progress', (e) => {
      if (e.job === this.job) this.progress(e);
      else if (this.busy) this.early.set(e.job, { ...this.early.get(e.job), progress: e });
    });
    api.on('replay.done', (e) => {
      if (e.job === this.job) this.finish(e);
      else if (this.busy) this.early.set(e.job, { ...this.early.get(e.job), done: e });
    });
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  /** Whether the target as typed names the broker the connection was recorded with. */
  get targetIsOriginal(): boolean {
    return this.connection !== null && isOriginalBroker(this.target, this.connection.broker);
  }

  /** Why the form cannot start yet, or null. */
  get problem(): string | null {
    const t = parseTarget(this.target);
    if (typeof t === 'string') return t;
    if (!this.asFastAsPossible && !(this.speed > 0)) return 'the speed must be above 0';
    if (this.until.trim() && !/^\d+$/.test(this.until.trim())) return '"until" is a frame seq (a whole number)';
    if (!(this.timeoutS > 0)) return 'the timeout must be above 0';
    return null;
  }

  get running(): boolean {
    return this.job !== null && this.result === null;
  }

  /** Opens the dialog for one connection of a session. */
  async openFor(session: number, connection: number): Promise<void> {
    try {
      const c = (await this.api.invoke('connections.list', { session })).find((x) => x.connection === connection);
      if (!c) throw new Error(`no connection ${connection} in session ${session}`);
      this.reset();
      this.connection = c;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  close(): void {
    this.connection = null;
    this.reset();
  }

  private reset(): void {
    // The target and the credentials are per replay: a second dialog starts empty again.
    this.target = '';
    this.passcode = '';
    this.login = '';
    this.confirming = false;
    this.error = null;
    this.job = null;
    this.sent = 0;
    this.total = 0;
    this.result = null;
    this.diff = null;
    this.diffRevealSecrets = false;
    this.early.clear();
  }

  addMapping(): void {
    this.mappings = [...this.mappings, { from: '', to: '' }];
  }

  removeMapping(i: number): void {
    this.mappings = this.mappings.filter((_, k) => k !== i);
  }

  args(confirmed: boolean): ReplayStartDto {
    const c = this.connection!;
    const a: ReplayStartDto = { connection: c.connection, target: this.target.trim(), timeoutMs: Math.round(this.timeoutS * 1000) };
    Object.assign(a, targetTlsArgs(this));
    if (this.asFastAsPossible) a.asFastAsPossible = true;
    else a.speed = this.speed;
    if (this.login) a.login = this.login;
    if (this.passcode) a.passcode = this.passcode;
    const pairs = this.mappings.filter((m) => m.from.trim() && m.to.trim()).map((m) => [m.from.trim(), m.to.trim()] as [string, string]);
    if (pairs.length) a.mapDestination = pairs;
    if (this.until.trim()) a.until = Number(this.until.trim());
    if (this.name.trim()) a.name = this.name.trim();
    if (confirmed) a.confirmOriginalBroker = true;
    return a;
  }

  /**
   * Starts the replay. Against the original broker the first call only asks (`confirming`); the user's "Replay
   * there" calls again with `confirmed`.
   */
  async start(confirmed = false): Promise<void> {
    if (!this.connection || this.problem || this.running) return;
    if (this.mustAsk(this.targetIsOriginal, confirmed)) return;
    this.result = null;
    this.diff = null;
    this.sent = 0;
    this.total = 0;
    await this.run(async () => {
      const { job } = await this.api.invoke('replay.start', this.args(confirmed && this.targetIsOriginal));
      this.job = job;
      const early = this.early.get(job);
      this.early.clear();
      if (early?.progress) this.progress(early.progress);
      if (early?.done) this.finish(early.done);
    });
  }

  private progress(e: Events['replay.progress']): void {
    this.sent = e.sent;
    this.total = e.total;
  }

  private finish(e: Done): void {
    this.result = e;
    if (e.error === null) this.sent = this.total = Math.max(this.total, e.sent);
  }

  /** The replay diff: what the broker sent on the original connection against the replay's. */
  async openDiff(includeVolatile = false): Promise<void> {
    const r = this.result;
    if (!r || r.connection === null) return;
    try {
      const reveal = this.diffRevealSecrets ? { revealSecrets: true } : {};
      this.diff = await this.api.invoke('replay.diff', { a: r.original, b: r.connection, includeVolatile, ...reveal });
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Shows or masks credential values in the open diff: asks the core again, with the same volatile headers. */
  async setDiffRevealSecrets(reveal: boolean): Promise<void> {
    this.diffRevealSecrets = reveal;
    if (this.diff) await this.openDiff(this.diff.ignoredHeaders.length === 0);
  }
}
