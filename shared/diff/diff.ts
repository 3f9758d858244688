// Header diff and line diff of bodies between two frames. Pure, like every analysis: the UI only draws it, and it is testable without a DOM.

export type DiffKind = 'same' | 'added' | 'removed' | 'changed';

export interface HeaderDiffRow {
  name: string;
  kind: DiffKind;
  a: string | null;
  b: string | null;
}

/**
 * Compares the effective headers (first one wins) of two frames: one row per name, in the order of `a` then
 * the names only `b` has.
 */
export function diffHeaders(a: readonly (readonly [string, string])[], b: readonly (readonly [string, string])[]): HeaderDiffRow[] {
  const first = (hs: readonly (readonly [string, string])[]) => {
    const m = new Map<string, string>();
    for (const [n, v] of hs) if (!m.has(n)) m.set(n, v);
    return m;
  };
  const ma = first(a);
  const mb = first(b);
  const rows: HeaderDiffRow[] = [];
  for (const [name, va] of ma) {
    const vb = mb.get(name);
    rows.push({ name, a: va, b: vb ?? null, kind: vb === undefined ? 'removed' : vb === va ? 'same' : 'changed' });
  }
  for (const [name, vb] of mb) if (!ma.has(name)) rows.push({ name, a: null, b: vb, kind: 'added' });
  return rows;
}

/** JSON bodies are pretty-printed (2 spaces, keys in their order) before a line diff; others are left as they are. */
export function prettyIfJson(text: string): string {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return text;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return text;
  }
}

export interface LineDiffRow {
  kind: 'same' | 'added' | 'removed';
  text: string;
  /** 1-based line numbers in a and b. */
  a: number | null;
  b: number | null;
}

/** Above this many lines on each side, the diff is a plain "all removed, all added" (LCS is quadratic). */
export const MAX_DIFF_LINES = 2000;

/** Line diff by longest common subsequence. */
export function diffLines(aText: string, bText: string): LineDiffRow[] {
  const a = aText.split('\n');
  const b = bText.split('\n');
  // Common prefix and suffix first: bodies that differ in one field cost nothing.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const out: LineDiffRow[] = [];
  for (let i = 0; i < pre; i++) out.push({ kind: 'same', text: a[i], a: i + 1, b: i + 1 });
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length > MAX_DIFF_LINES || bm.length > MAX_DIFF_LINES) {
    am.forEach((t, i) => out.push({ kind: 'removed', text: t, a: pre + i + 1, b: null }));
    bm.forEach((t, i) => out.push({ kind: 'added', text: t, a: null, b: pre + i + 1 }));
  } else {
    const n = am.length;
    const m = bm.length;
    const L: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = am[i] === bm[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: 'same', text: am[i], a: pre + i + 1, b: pre + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) {
        // Removed lines before added ones, as diff(1) shows them.
        out.push({ kind: 'removed', text: am[i], a: pre + i + 1, b: null });
        i++;
      } else {
        out.push({ kind: 'added', text: bm[j], a: null, b: pre + j + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    const ia = a.length - suf + k;
    const ib = b.length - suf + k;
    out.push({ kind: 'same', text: a[ia], a: ia + 1, b: ib + 1 });
  }
  return out;
}
