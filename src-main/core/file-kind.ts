// What a path is when it is not a regular file, for the one-line refusals of the places that must only ever open
// regular files (captures to import, PEM files, databases): opening a named pipe blocks until a writer comes, a
// device never ends, and SQLite leaves its journal beside whatever it opened.
import type fs from 'node:fs';

export function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
