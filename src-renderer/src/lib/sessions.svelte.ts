import type { ApiClient, ProxyDto, ProxyOptionsDto, SessionSummaryDto } from '../../../shared/api/index.js';

/** Sessions, the proxies started from the UI, and the actions on them. Only state classes call the API. */
export class SessionsState {
  sessions = $state.raw<SessionSummaryDto[]>([]);
  proxies = $state.raw<ProxyDto[]>([]);
  error = $state<string | null>(null);
  busy = $state(false);

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const [sessions, proxies] = await Promise.all([this.api.invoke('sessions.list', {}), this.api.invoke('proxy.list', {})]);
      this.sessions = sessions;
      this.proxies = proxies;
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** A recording session's frame count, as told by `frames.appended`. */
  setCount(session: number, frames: number): void {
    this.sessions = this.sessions.map((s) => (s.session === session ? { ...s, frames } : s));
  }

  proxyOf(session: number): ProxyDto | undefined {
    return this.proxies.find((p) => p.session === session);
  }

  async startProxy(o: ProxyOptionsDto): Promise<ProxyDto | null> {
    this.busy = true;
    try {
      const p = await this.api.invoke('proxy.start', o);
      this.error = null;
      await this.refresh();
      return p;
    } catch (e) {
      this.error = (e as Error).message;
      return null;
    } finally {
      this.busy = false;
    }
  }

  async stopProxy(session: number): Promise<void> {
    await this.run(() => this.api.invoke('proxy.stop', { session }));
  }

  async rename(session: number, name: string): Promise<void> {
    await this.run(() => this.api.invoke('sessions.rename', { session, name }));
  }

  async remove(session: number): Promise<boolean> {
    return this.run(() => this.api.invoke('sessions.delete', { session }));
  }

  private async run(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      this.error = null;
      await this.refresh();
      return true;
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    }
  }
}
