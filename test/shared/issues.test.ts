// The issue catalogue is the single source of codes: every code shared/ emits is in it, fully described.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ISSUES, issueInfo, makeIssue } from '../../shared/issues.js';

const sharedDir = fileURLToPath(new URL('../../shared/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('issue catalogue', () => {
  it('describes every code with a severity, title, explanation and spec reference', () => {
    for (const [code, info] of Object.entries(ISSUES)) {
      expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['error', 'warning', 'note']).toContain(info.severity);
      expect(info.title.length, code).toBeGreaterThan(3);
      expect(info.explanation.length, code).toBeGreaterThan(20);
      expect(info.specRef.length, code).toBeGreaterThan(3);
    }
  });

  it('holds every code the shared sources emit', () => {
    const used = new Set<string>();
    for (const file of sources(sharedDir)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:makeIssue|streamIssue)\(\s*'([^']+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(10);
    for (const code of used) expect(issueInfo(code), code).toBeDefined();
  });

  it('looks codes up, and knows nothing of unknown ones', () => {
    expect(issueInfo('garbage')?.severity).toBe('error');
    expect(issueInfo('no-such-code')).toBeUndefined();
    expect(issueInfo('toString')).toBeUndefined();
  });

  it('makeIssue takes the severity from the catalogue', () => {
    expect(makeIssue('body-too-large', 'm', 5, 10)).toEqual({ code: 'body-too-large', severity: 'warning', message: 'm', offset: 5, length: 10 });
    expect(makeIssue('mixed-line-endings', 'm', 0)).toEqual({ code: 'mixed-line-endings', severity: 'note', message: 'm', offset: 0 });
  });
});
