import type { ApiClient, CaptureDto, CaptureInterfaceDto } from '../../../shared/api/index.js';

/** "Capture on interface…": the interfaces the core's capture engine offers, the form, and the captures running. */
export class CaptureState {
  open = $state(false);
  interfaces = $state.raw<CaptureInterfaceDto[]>([]);
  engine = $state<string | null>(null);
  /** Why nothing can be captured (no engine), or why the last start or stop failed. */
  error = $state<string | null>(null);
  loading = $state(false);
  busy = $state(false);
  captures = $state.raw<CaptureDto[]>([]);
  iface = $state('');
  ports = $state('');
  filter = $state('');
  name = $state('');

  constructor(private readonly api: ApiClient, private readonly onStarted: (session: number) => void) {
    api.on('sessions.changed', () => {
      if (this.open) void this.refreshCaptures();
    });
  }

  /** The ports field: numbers 1-65535 separated by spaces or commas; a message when it is not. */
  get portsProblem(): string | null {
    const parts = this.ports.split(/[\s,]+/).filter(Boolean);
    for (const p of parts) if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return `"${p}" is not a port number (1-65535)`;
    return parts.length > 64 ? 'at most 64 ports' : null;
  }

  async show(): Promise<void> {
    this.open = true;
    this.error = null;
    this.loading = true;
    try {
      const [r] = await Promise.all([this.api.invoke('capture.interfaces', {}), this.refreshCaptures()]);
      this.interfaces = r.interfaces;
      this.engine = r.engine;
      this.error = r.error;
      if (!this.interfaces.some((i) => i.name === this.iface)) {
        this.iface = (this.interfaces.find((i) => i.name === 'lo') ?? this.interfaces[0])?.name ?? '';
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  close(): void {
    this.open = false;
  }

  async refreshCaptures(): Promise<void> {
    try {
      this.captures = await this.api.invoke('capture.list', {});
    } catch {
      // The list is a convenience: the session list shows recording sessions anyway.
    }
  }

  async start(): Promise<void> {
    if (!this.iface || this.portsProblem) return;
    this.busy = true;
    try {
      const ports = this.ports.split(/[\s,]+/).filter(Boolean).map(Number);
      const c = await this.api.invoke('capture.start', {
        interface: this.iface, ...(ports.length ? { ports } : {}), ...(this.filter.trim() ? { filter: this.filter.trim() } : {}),
        ...(this.name.trim() ? { name: this.name.trim() } : {}),
      });
      this.error = null;
      await this.refreshCaptures();
      this.open = false;
      this.onStarted(c.session);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  async stop(session: number): Promise<void> {
    try {
      await this.api.invoke('capture.stop', { session });
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
    await this.refreshCaptures();
  }
}
