// Writing an export to the one file the user named, and nowhere else: the path is resolved once, the bytes go
// to a temporary file in the same directory (so the final step is a rename on one file system), and only a
// complete file takes the name. An existing file is replaced only when asked (--force); without it, the
// final step is a hard link, which fails rather than overwrite a file that appeared meanwhile.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Why the output path cannot be used, before anything is written: a usage mistake. */
export class OutPathError extends Error {}

/** The first ancestor of `file` that exists but is not a directory, if any (what ENOTDIR is about). */
function notADirectory(file: string): string | null {
  for (let d = path.dirname(file); d !== path.dirname(d); d = path.dirname(d)) {
    const st = statQuiet(d);
    if (st && !st.isDirectory()) return d;
  }
  return null;
}

function statQuiet(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The absolute path `out` names, or an OutPathError saying why it cannot be written. */
export function checkOutPath(out: string, force: boolean): string {
  if (!out) throw new OutPathError('--out: give the file to write');
  const file = path.resolve(out);
  let st: fs.Stats | undefined;
  let parent: fs.Stats | undefined;
  const dir = path.dirname(file);
  try {
    st = fs.lstatSync(file, { throwIfNoEntry: false });
    parent = fs.statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    // A path through a regular file (FILE/x), a directory we may not search: one line, not a stack trace.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new OutPathError(`--out: ${notADirectory(file) ?? dir} is not a directory`);
    throw new OutPathError(`--out: cannot use ${file}: ${code ?? (e as Error).message}`);
  }
  if (st?.isDirectory()) throw new OutPathError(`--out: ${file} is a directory; give a file name`);
  // Never replaced, even with --force: a link (e.g. /dev/stdout) would be swapped for a file, and writing
  // through it would put the export somewhere other than the path given.
  if (st?.isSymbolicLink()) throw new OutPathError(`--out: ${file} is a symbolic link; give the path of a file`);
  if (st && !st.isFile()) throw new OutPathError(`--out: ${file} is not a regular file (a device, socket or pipe)`);
  if (st && !force) throw new OutPathError(`--out: ${file} exists; add --force to replace it`);
  if (!parent) throw new OutPathError(`--out: the directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw new OutPathError(`--out: ${dir} is not a directory`);
  return file;
}

/**
 * Writes the chunks to `file` (from checkOutPath) through a temporary file beside it. Returns the bytes
 * written. On any failure the temporary file is removed and `file` is left as it was.
 */
export function writeOutFile(file: string, chunks: Iterable<Uint8Array | string>, force: boolean): number {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o666);
  let size = 0;
  let closed = false;
  try {
    // Small chunks (one packet, one line) are gathered into writes of about 1 MiB.
    let parts: Buffer[] = [];
    let pending = 0;
    const flush = () => {
      if (!pending) return;
      const b = parts.length === 1 ? parts[0] : Buffer.concat(parts, pending);
      let done = 0;
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done);
      parts = [];
      pending = 0;
    };
    for (const c of chunks) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      parts.push(b);
      pending += b.length;
      size += b.length;
      if (pending >= 1 << 20) flush();
    }
    flush();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    closed = true;
    if (force) fs.renameSync(tmp, file);
    else {
      try {
        fs.linkSync(tmp, file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new OutPathError(`--out: ${file} exists; add --force to replace it`);
        // A file system without hard links: the check before writing has to do.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
        if (fs.existsSync(file)) throw new OutPathError(`--out: ${file} exists; add --force to replace it`);
        fs.renameSync(tmp, file);
      }
      fs.rmSync(tmp, { force: true });
    }
    return size;
  } catch (e) {
    if (!closed) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
