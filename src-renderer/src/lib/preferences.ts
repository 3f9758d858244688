// What the user chose (layout, theme, columns, colouring rules, filters), remembered per user in the browser's
// localStorage (in the desktop app: the window's). Reading never fails: storage that is disabled, an entry that is
// missing or damaged all read as {}, and each caller keeps only the fields that pass its own checks, so a bad entry
// falls back to the defaults. Writing never fails either: a full or refused storage only means "not remembered".

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The object stored under `key`, or {} when there is none, storage is off, or it is not a JSON object. */
export function readPreference(key: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(storage()?.getItem(key) ?? '{}');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Stores `value` as JSON under `key`; on a full or refused storage the choice is applied but not remembered. */
export function writePreference(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch {
    // not remembered; still applied
  }
}
