// Rules files (`stompscope proxy --rules FILE`, the scenarios in scenarios/): read with a bound, only regular
// files, and checked (shared/rules) before the proxy uses them, so that a mistake is one line naming the rule and
// the field. --rules-watch reloads a file when it changes; a bad new version keeps the rules in force.
import fs from 'node:fs';
import { checkRulesText, type RuleCheck } from '../../../shared/rules/rules.js';
import { fileKind } from '../file-kind.js';

/** Far more than any hand-written rules file. */
export const MAX_RULES_FILE_BYTES = 1024 * 1024;

/** Reads and checks a rules file; a file that cannot be read is an error of the check, like a bad rule. */
export function readRulesFile(file: string): RuleCheck {
  const fail = (why: string): RuleCheck => ({ rules: [], errors: [`${file}: ${why}`], warnings: [] });
  let fd: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return fail(`${fileKind(st)}, not a rules file`);
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return fail(`${fileKind(st)}, not a rules file`);
    if (st.size > MAX_RULES_FILE_BYTES) return fail(`${st.size} bytes, more than a rules file holds (at most ${MAX_RULES_FILE_BYTES})`);
    const buf = Buffer.alloc(MAX_RULES_FILE_BYTES + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_RULES_FILE_BYTES) return fail(`more than ${MAX_RULES_FILE_BYTES} bytes`);
    const check = checkRulesText(buf.subarray(0, n).toString('utf8'));
    return check.errors.length && check.errors[0].startsWith('not JSON') ? { ...check, errors: [`${file}: ${check.errors[0]}`] } : check;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Calls `onChange` when `file` changes (polled: an editor that saves by renaming a new file over it is seen too).
 * Returns the function that stops watching.
 */
export function watchRulesFile(file: string, onChange: () => void, intervalMs = 300): () => void {
  const listener = (cur: fs.Stats, prev: fs.Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) onChange();
  };
  fs.watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => fs.unwatchFile(file, listener);
}
