// The dependency direction (docs/architecture.md) is enforced by the lint rule; this checks the rule bites, and that
// the tree as it stands obeys it.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd });

async function errors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: file });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it.each([
    ['shared/stomp/x.ts', `import fs from 'node:fs';`, /no host APIs/],
    ['shared/stomp/x.ts', `import { Core } from '../../src-main/core/api.js';`, /nothing of ours outside shared/],
    ['src-main/core/x.ts', `import { app } from 'electron';`, /never imports electron/],
    ['src-main/core/x.ts', `import { main } from '../cli/main.js';`, /does not import the hosts/],
    ['src-renderer/src/x.ts', `import { Core } from '../../src-main/core/api.js';`, /imports only shared/],
    ['src-renderer/src/x.ts', `import net from 'node:net';`, /only through the API client/],
    ['src-renderer/src/components/X.svelte', `<script lang="ts">import { Core } from '../../../src-main/core/api.js';</script>`, /imports only shared/],
    ['src-renderer/src/components/X.svelte', `<script lang="ts">import fs from 'node:fs';</script>`, /only through the API client/],
  ])('%s may not say %s', async (file, code, message) => {
    const found = await errors(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('allows the directions the design allows', async () => {
    expect(await errors('src-main/core/x.ts', `import { StompDecoder } from '../../shared/stomp/decoder.js';`)).toEqual([]);
    expect(await errors('src-renderer/src/x.ts', `import { ApiClient } from '../../shared/api/index.js';`)).toEqual([]);
    expect(await errors('src-renderer/src/components/X.svelte', `<script lang="ts">import { relativeTime } from '../../../shared/diagram/model.js';</script>`)).toEqual([]);
    expect(await errors('src-main/electron/x.ts', `import { app } from 'electron';`)).toEqual([]);
  });

  it('holds for the whole tree', async () => {
    const results = await eslint.lintFiles(['shared', 'src-main', 'src-renderer']);
    const violations = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}: ${m.message}`));
    expect(violations).toEqual([]);
  });
});
