// docs/expert-info.md is generated from the issue catalogue: it must be the generator's current output.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderExpertInfoDoc } from '../../scripts/expert-doc.js';
import { ISSUES } from '../../shared/issues.js';

const file = path.join(import.meta.dirname, '..', '..', 'docs', 'expert-info.md');

describe('docs/expert-info.md', () => {
  it('is up to date with shared/issues.ts (run `npm run docs` after changing the catalogue)', () => {
    expect(readFileSync(file, 'utf8'), 'docs/expert-info.md is out of date: run `npm run docs`').toBe(renderExpertInfoDoc());
  });
  it('documents every code once, with its severity, title and reference', () => {
    const doc = renderExpertInfoDoc();
    for (const [code, info] of Object.entries(ISSUES)) {
      const heading = `### \`${code}\` — ${info.title}`;
      expect(doc.split(heading).length - 1, code).toBe(1);
      expect(doc).toContain(`*${info.severity}* · ${info.specRef}`);
    }
  });
});
