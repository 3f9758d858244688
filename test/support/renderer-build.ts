// Builds the renderer from the current sources into a temporary directory (not out/, which other builds use),
// once per test process, for tests that serve it through the web host.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let built: Promise<string> | null = null;

export function buildRenderer(): Promise<string> {
  built ??= (async () => {
    const { build } = await import('vite');
    const { svelte } = await import('@sveltejs/vite-plugin-svelte');
    const outDir = mkdtempSync(path.join(tmpdir(), 'stompscope-renderer-'));
    await build({
      configFile: false,
      logLevel: 'warn',
      root: path.join(root, 'src-renderer'),
      base: './',
      plugins: [svelte({ configFile: path.join(root, 'svelte.config.js') })],
      build: { outDir, emptyOutDir: true, rollupOptions: { input: path.join(root, 'src-renderer/index.html') } },
    });
    return outDir;
  })();
  return built;
}
