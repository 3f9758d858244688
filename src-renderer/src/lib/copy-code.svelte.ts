import type { ApiClient, CodeLanguageDto } from '../../../shared/api/index.js';

/** Puts text on the clipboard; rejects with a readable message when it cannot. */
export type ClipboardWriter = (text: string) => Promise<void>;

const systemClipboard: ClipboardWriter = (text) => {
  const clipboard = globalThis.navigator?.clipboard;
  if (!clipboard?.writeText) return Promise.reject(new Error('the clipboard is not available in this window'));
  return clipboard.writeText(text);
};

export type CodeTarget = { frame: number } | { connection: number };

const LANGUAGE_NAMES: Record<CodeLanguageDto, string> = { 'stomp.py': 'stomp.py (Python)', stompjs: '@stomp/stompjs' };

/**
 * "Copy as code" in the frame detail: asks the core for a stomp.py script or a @stomp/stompjs module that
 * reproduces the frame or its whole client connection (`export.code`), and puts it on the clipboard.
 */
export class CopyCodeState {
  menuOpen = $state(false);
  busy = $state(false);
  /** What was last put on the clipboard, for the note beside the button. */
  copied = $state<string | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly api: ApiClient, private readonly clipboard: ClipboardWriter = systemClipboard) {}

  toggle(): void {
    this.menuOpen = !this.menuOpen;
    if (this.menuOpen) {
      this.copied = null;
      this.error = null;
    }
  }

  close(): void {
    this.menuOpen = false;
  }

  /** `revealSecrets`: as the frame detail shows them; otherwise credentials become constants to fill in. */
  async copy(target: CodeTarget, language: CodeLanguageDto, revealSecrets: boolean): Promise<void> {
    this.menuOpen = false;
    this.busy = true;
    this.copied = null;
    this.error = null;
    try {
      const r = await this.api.invoke('export.code', { ...target, language, revealSecrets });
      await this.clipboard(r.text);
      const what = 'frame' in target ? `frame ${r.frameNumber ?? target.frame}` : `connection #${r.connectionNumber ?? target.connection} (${r.frames} client frame${r.frames === 1 ? '' : 's'} after CONNECT)`;
      this.copied = `Copied ${what} as ${LANGUAGE_NAMES[language]}${revealSecrets ? '' : '; credentials are constants to fill in at the top'}.`;
    } catch (e) {
      this.error = `Copy as code failed: ${(e as Error).message}`;
    } finally {
      this.busy = false;
    }
  }
}
