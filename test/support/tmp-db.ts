// A database path in a fresh temporary directory, removed after the test that asked for it (the hook is registered
// in the test file that imports this module: each file gets its own module instance).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDb(prefix = 'stompscope-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return path.join(d, 'test.db');
}
