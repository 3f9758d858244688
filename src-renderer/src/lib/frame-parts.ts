// Where each part of a STOMP frame lies in its raw bytes, for the bytes pane to highlight what the detail pane
// selects. A frame is: command EOL, header lines each ending in EOL, a blank line, the body, NUL (STOMP 1.2
// §Augmented BNF; EOL is LF or CR LF). Pure; malformed or truncated input gives the parts that can be found.

export type Range = readonly [start: number, end: number];

export interface FrameParts {
  command: Range | null;
  /** One range per header line, in wire order (repeats included), without its EOL. */
  headers: Range[];
  body: Range | null;
}

/** What the detail pane has selected: the command line, header `index` (wire order), or the body. */
export type FramePart = { kind: 'command' } | { kind: 'header'; index: number } | { kind: 'body' };

const LF = 0x0a;
const CR = 0x0d;

export function frameParts(raw: Uint8Array, bodyLength: number | null = null): FrameParts {
  const lineAt = (start: number): Range | null => {
    const nl = raw.indexOf(LF, start);
    if (nl < 0) return null;
    return [start, nl > start && raw[nl - 1] === CR ? nl - 1 : nl];
  };
  const out: FrameParts = { command: null, headers: [], body: null };
  // Heart-beat EOLs before the command belong to no frame part.
  let pos = 0;
  while (pos < raw.length && (raw[pos] === LF || raw[pos] === CR)) pos++;
  const cmd = lineAt(pos);
  if (!cmd) {
    if (pos < raw.length) out.command = [pos, raw.length];
    return out;
  }
  out.command = cmd;
  pos = raw.indexOf(LF, cmd[1]) + 1;
  for (;;) {
    const line = lineAt(pos);
    if (!line) return out; // truncated inside the headers
    const next = raw.indexOf(LF, line[1]) + 1;
    if (line[0] === line[1]) {
      pos = next;
      break;
    }
    out.headers.push(line);
    pos = next;
  }
  const end = bodyLength !== null ? Math.min(pos + bodyLength, raw.length) : raw[raw.length - 1] === 0 ? raw.length - 1 : raw.length;
  out.body = [pos, Math.max(pos, end)];
  return out;
}

export function partRange(parts: FrameParts, part: FramePart | null): Range | null {
  if (!part) return null;
  if (part.kind === 'command') return parts.command;
  if (part.kind === 'body') return parts.body;
  return parts.headers[part.index] ?? null;
}
