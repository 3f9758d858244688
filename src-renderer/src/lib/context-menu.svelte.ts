// The one context menu of the whole UI (rows, detail header rows, Expert Info entries, column headers): whoever
// opens it gives the items; ContextMenu.svelte draws it, keyboard-navigable (WAI-ARIA menu pattern).

export interface MenuItem {
  label: string;
  /** Runs the item; the menu closes first. */
  run?: () => void | Promise<void>;
  /** A submenu instead of an action. */
  items?: MenuItem[];
  disabled?: boolean;
  /** Why it is disabled (shown as its title). */
  why?: string;
  /** A line above this item. */
  separator?: boolean;
  testid?: string;
  /** A check mark (a setting that is on). */
  checked?: boolean;
}

export class ContextMenuState {
  open = $state(false);
  x = $state(0);
  y = $state(0);
  items = $state.raw<MenuItem[]>([]);
  label = $state('');
  /** The last text put on the clipboard by a Copy item (also what a failed clipboard write would have held). */
  copied = $state<string | null>(null);
  error = $state<string | null>(null);
  private returnFocus: HTMLElement | null = null;

  /** Opens at a point (a right-click), or under an element (the context-menu key, Shift+F10). */
  show(at: { x: number; y: number } | HTMLElement, items: MenuItem[], label = 'context menu'): void {
    const active = typeof document !== 'undefined' ? (document.activeElement as HTMLElement | null) : null;
    this.returnFocus = active;
    if ('getBoundingClientRect' in at) {
      const r = at.getBoundingClientRect();
      this.x = r.left + 16;
      this.y = r.top + Math.min(r.height, 24);
    } else {
      this.x = at.x;
      this.y = at.y;
    }
    this.items = items;
    this.label = label;
    this.error = null;
    this.open = true;
  }

  close(restore = true): void {
    if (!this.open) return;
    this.open = false;
    if (restore && this.returnFocus?.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  async run(item: MenuItem): Promise<void> {
    if (item.disabled || !item.run) return;
    this.close();
    try {
      await item.run();
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Copy items: to the clipboard, remembered in `copied`. */
  async copy(text: string): Promise<void> {
    this.copied = text;
    await navigator.clipboard.writeText(text);
  }
}

export const contextMenu = new ContextMenuState();

/** Whether a key event asks for a context menu (the Menu key, or Shift+F10). */
export function isMenuKey(e: KeyboardEvent): boolean {
  return e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey);
}
