/**
 * What the replay and resend dialogs share: one action at a time (`busy`), a question first when the action would
 * reach the broker the recording came from (`confirming`), and the last failure shown (`error`).
 */
export class GuardedAction {
  /** The target is the original broker and the user has not confirmed yet: the dialog shows the question. */
  confirming = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);

  /** True when the caller must stop and ask: `risky` and not yet `confirmed` (then `confirming` is set). */
  protected mustAsk(risky: boolean, confirmed: boolean): boolean {
    this.confirming = risky && !confirmed;
    return this.confirming;
  }

  /** Runs `fn` as the one action in progress; its failure becomes `error`, its success clears it. */
  protected async run(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await fn();
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  cancelConfirm(): void {
    this.confirming = false;
  }
}
