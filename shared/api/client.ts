// The typed client the UI uses, over whichever channel the host offers (Electron IPC, the web host's
// WebSocket, or the component tests' fake).
import type { CommandArgs, CommandName, CommandResult } from './contract.js';
import { ApiError } from './errors.js';
import { isEventName, type EventName, type Events } from './events.js';

/**
 * What every channel to the core offers the UI: one function, and (where the host has them) events. ("Channel", not
 * "transport": a connection's transport is what STOMP rides on, tcp, tls, websocket or sockjs.)
 */
export interface ApiChannel {
  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>>;
  /** Registers the one event listener of this channel. */
  listen?(listener: (event: string, data: unknown) => void): void;
  /**
   * Hands a file (a DOM File) to the host; resolves with the upload id for `import.start`. The web host receives
   * its bytes; the desktop app reads a dropped or picked file where it is.
   */
  upload?(file: UploadFile): Promise<string>;
  /** Turns an export ticket into a file the user keeps (download, or the desktop app's save dialog). */
  saveExport?(ticket: string, filename: string): Promise<void>;
}

/** What the UI knows of a file to upload (a DOM File, typed here without the DOM). */
export interface UploadFile {
  readonly name: string;
  readonly size: number;
}

/** The typed client the UI uses; it never knows which channel is under it. */
export class ApiClient {
  private readonly listeners = new Map<string, Set<(data: never) => void>>();

  constructor(private readonly channel: ApiChannel) {
    channel.listen?.((event, data) => {
      if (!isEventName(event)) return;
      for (const fn of this.listeners.get(event) ?? []) fn(data as never);
    });
  }

  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>> {
    return this.channel.invoke(cmd, args);
  }

  /** Whether files can be uploaded (web host); in the desktop app, the native File › Open capture… imports. */
  get canUpload(): boolean {
    return !!this.channel.upload;
  }

  upload(file: UploadFile): Promise<string> {
    if (!this.channel.upload) return Promise.reject(new ApiError('bad-request', 'this host takes files from its own dialog'));
    return this.channel.upload(file);
  }

  saveExport(ticket: string, filename: string): Promise<void> {
    if (!this.channel.saveExport) return Promise.reject(new ApiError('bad-request', 'this host cannot save files'));
    return this.channel.saveExport(ticket, filename);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, fn: (data: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (data: never) => void);
    return () => set!.delete(fn as (data: never) => void);
  }
}
