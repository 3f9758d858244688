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

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  // In slices: String.fromCharCode with a whole large body as arguments overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Editable hex: byte pairs separated by spaces, 16 a line (no offsets, unlike hexDump, so it parses back). */
export function toHex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) lines.push([...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  return lines.join('\n');
}

/** Hex digits (whitespace anywhere ignored) as bytes; null when a character is not hex or a digit is left over. */
export function parseHex(text: string): Uint8Array | null {
  const t = text.replace(/\s+/g, '');
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) return null;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(i * 2, i * 2 + 2), 16);
  return out;
}
