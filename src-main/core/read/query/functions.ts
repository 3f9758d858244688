// SQLite functions the compiled filters call: header values decoded per the connection's version (first
// header wins), bodies read from the raw chunks, and regular expressions. Registered once per connection.
import { interpretHeaders, headerValue } from '../../../../shared/stomp/escape.js';
import type { RawHeader, StompVersion } from '../../../../shared/stomp/types.js';
import type { Db } from '../../store/db.js';
import type { StoreReader } from '../../store/reader.js';

const utf8 = new TextDecoder('utf-8');

export function registerQueryFunctions(db: Db, reader: StoreReader): void {
  db.function('ss_header', { deterministic: true }, (headers: unknown, command: unknown, version: unknown, name: unknown) => {
    if (typeof headers !== 'string' || typeof name !== 'string') return null;
    // Cheap reject before parsing JSON: every run of the name between characters STOMP escapes (\\ : CR LF)
    // is in the raw headers as it is, once JSON-escaped as the stored text is (a '"' is stored as '\"').
    for (const piece of name.split(/[\\:\r\n]/)) if (piece && !headers.includes(JSON.stringify(piece).slice(1, -1))) return null;
    const raw = JSON.parse(headers) as RawHeader[];
    const { headers: decoded } = interpretHeaders(String(command), raw, (version as StompVersion | null) ?? null);
    return headerValue(decoded, name) ?? null;
  });
  db.function('ss_body', { deterministic: true }, (conn: unknown, dir: unknown, offset: unknown, length: unknown) => {
    if (!length) return '';
    const bytes = reader.readBytes(Number(conn), Number(dir) === 0 ? 'client' : 'broker', Number(offset), Number(length));
    return bytes ? utf8.decode(bytes) : null;
  });
  const regexps = new Map<string, RegExp>();
  db.function('ss_regexp', { deterministic: true }, (text: unknown, pattern: unknown) => {
    if (typeof text !== 'string' || typeof pattern !== 'string') return 0;
    let re = regexps.get(pattern);
    if (!re) {
      if (regexps.size > 100) regexps.clear();
      regexps.set(pattern, (re = new RegExp(pattern)));
    }
    return re.test(text) ? 1 : 0;
  });
}
