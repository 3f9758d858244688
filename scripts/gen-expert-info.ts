// Writes docs/expert-info.md from the issue catalogue (npm run docs). The text comes from
// scripts/expert-doc.ts; test/core/expert-doc.test.ts checks the committed file is current.
import fs from 'node:fs';
import path from 'node:path';
import { renderExpertInfoDoc } from './expert-doc.js';

const file = path.join(import.meta.dirname, '..', 'docs', 'expert-info.md');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, renderExpertInfoDoc());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
