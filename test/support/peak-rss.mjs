// Preloaded into a CLI child by runCliMeasured (test/support/peak-rss-run.ts): at exit, writes the process's
// peak resident set size (VmHWM of /proc/self/status, in KiB) to the file named by STOMPSCOPE_PEAK_RSS_FILE.
// Read at exit by the process itself, so no peak between two polls is missed.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.STOMPSCOPE_PEAK_RSS_FILE;
if (out) {
  process.on('exit', () => {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(out, m ? m[1] : '');
  });
}
