// Byte views for the detail pane: text, pretty JSON/XML, hex dump. Pure.

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
export function asText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export function prettyJson(text: string): string | null {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

/** Indents XML one element per line (tags only; text content kept). Null when it does not look like XML. */
export function prettyXml(text: string): string | null {
  const t = text.trim();
  if (!t.startsWith('<') || !t.endsWith('>')) return null;
  const parts = t.replace(/>\s*</g, '><').split(/(?=<)|(?<=>)/).filter((p) => p.trim());
  let depth = 0;
  const lines: string[] = [];
  for (const p of parts) {
    if (/^<\//.test(p)) depth = Math.max(0, depth - 1);
    lines.push('  '.repeat(depth) + p);
    if (/^<[^!?/][^>]*[^/]>$/.test(p) || /^<[^!?/>]>$/.test(p)) depth++;
  }
  // "<a>text</a>" on one line reads better than three.
  return lines.join('\n').replace(/^(\s*)(<[^/][^>]*>)\n\s*([^<\n]+)\n\s*(<\/[^>]+>)/gm, '$1$2$3$4');
}

/** Classic hex dump: offset, 16 bytes in hex, ASCII. */
export function hexDump(bytes: Uint8Array, max = 64 * 1024): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}
