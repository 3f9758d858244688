// The NSS key log format (SSLKEYLOGFILE), as OpenSSL, NSS, Go, Java agents, Python's `ssl` and Node's `keylog`
// event write it: one secret per line, `LABEL <client random, 64 hex> <secret, hex>`, `#` comments. The client
// random (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) ties a secret to its connection.
//
//   CLIENT_RANDOM                       TLS 1.2 and older: the 48-byte master secret
//   CLIENT_HANDSHAKE_TRAFFIC_SECRET     TLS 1.3 (RFC 8446 §7.1): client_handshake_traffic_secret
//   SERVER_HANDSHAKE_TRAFFIC_SECRET                              server_handshake_traffic_secret
//   CLIENT_TRAFFIC_SECRET_0                                      client_application_traffic_secret_0
//   SERVER_TRAFFIC_SECRET_0                                      server_application_traffic_secret_0
//
// Other labels (EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, RSA) are kept but not needed here. Lines that do
// not parse are counted, never fatal: a key log is often concatenated from several programs.

import fs from 'node:fs';

export type KeyLabel =
  | 'CLIENT_RANDOM'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0';

export interface KeySource {
  /** The secret logged under `label` for the connection with this client random (hex, lower case), if any. */
  get(label: KeyLabel, clientRandom: string): Buffer | undefined;
  /** The file may still grow (a live capture): a missing key may come later. */
  readonly live: boolean;
  /** What the key log is, for messages ("key log keys.log"). */
  readonly label: string;
}

const LINE = /^([A-Z0-9_]+)\s+([0-9a-fA-F]{64})\s+([0-9a-fA-F]+)\s*$/;

/** Secrets parsed from key log text. */
export class KeyLog implements KeySource {
  private readonly secrets = new Map<string, Buffer>();
  /** Lines that were neither a secret nor a comment nor blank. */
  badLines = 0;
  entries = 0;
  live = false;
  label = 'the key log';
  private partial = '';

  /** Adds text (whole lines; a last line without its newline is kept until the rest comes). */
  add(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.line(l);
  }

  /** No more text will come: a last line without a newline counts too. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const m = LINE.exec(l);
    if (!m) {
      this.badLines++;
      return;
    }
    this.secrets.set(`${m[1]} ${m[2].toLowerCase()}`, Buffer.from(m[3], 'hex'));
    this.entries++;
  }

  get(label: KeyLabel, clientRandom: string): Buffer | undefined {
    return this.secrets.get(`${label} ${clientRandom}`);
  }

  /** The secrets, to hand to another thread (the import's reading thread). */
  toEntries(): Array<[string, Uint8Array]> {
    return [...this.secrets];
  }

  /** A key log of the secrets another thread's `toEntries` gave. */
  static fromEntries(label: string, entries: ReadonlyArray<readonly [string, Uint8Array]>): KeyLog {
    const k = new KeyLog();
    k.label = label;
    for (const [key, secret] of entries) k.secrets.set(key, Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength));
    k.entries = entries.length;
    return k;
  }
}

/** Thrown when a key log file cannot be read at all. */
export class KeyLogError extends Error {}

/** Reads a key log file whole (an import: the file is complete). */
export function readKeyLogFile(file: string): KeyLog {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new KeyLogError(`${file}: not a regular file`);
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    if (e instanceof KeyLogError) throw e;
    throw new KeyLogError(`${file}: cannot read the key log (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const k = new KeyLog();
  k.label = `key log ${file}`;
  k.add(text);
  k.end();
  if (k.entries === 0) throw new KeyLogError(`${file}: no key log lines in it (expected lines like "CLIENT_RANDOM <64 hex> <hex>", as SSLKEYLOGFILE writes)`);
  return k;
}

/**
 * A key log that a running client is still writing (a live capture): a key looked up and not found makes it read
 * what was appended since (at most every 50 ms), so keys written after the handshake's packets are found.
 * The file may not exist yet when the capture starts.
 */
export class GrowingKeyLog implements KeySource {
  private readonly log = new KeyLog();
  private pos = 0;
  private lastRead = 0;
  readonly live = true;
  readonly label: string;

  constructor(private readonly file: string) {
    this.label = `key log ${file}`;
    this.refresh(true);
  }

  get entries(): number {
    return this.log.entries;
  }

  /** Reads what was appended; `force` ignores the rate limit. */
  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastRead < 50) return;
    this.lastRead = now;
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.pos) this.pos = 0; // truncated and rewritten: read it again
      while (this.pos < size) {
        const buf = Buffer.alloc(Math.min(1 << 20, size - this.pos));
        const n = fs.readSync(fd, buf, 0, buf.length, this.pos);
        if (n <= 0) break;
        this.pos += n;
        this.log.add(buf.toString('latin1', 0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  get(label: KeyLabel, clientRandom: string): Buffer | undefined {
    const k = this.log.get(label, clientRandom);
    if (k) return k;
    this.refresh();
    return this.log.get(label, clientRandom);
  }
}
