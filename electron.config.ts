// electron-vite configuration. electron-vite only finds `electron.vite.config.*` by itself: every script
// passes `--config electron.config.ts`, or it silently builds with defaults. Entry points are explicit because our trees are
// src-main/ and src-renderer/, not electron-vite's defaults.
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      // The recorder's worker thread is its own entry: the core starts it as ./worker.js beside the main
      // bundle (src-main/core/record/recorder.ts), so proxies started from the desktop app record too. So is
      // the core's read worker (./read-worker.js, src-main/core/read/pool.ts), where every read of the UI runs, and the
      // import's reading thread (./import-worker.js, src-main/core/capture/import-job.ts).
      rollupOptions: {
        input: {
          index: here('src-main/electron/main.ts'), worker: here('src-main/core/record/worker.ts'), 'read-worker': here('src-main/core/read/read-worker.ts'),
          'import-worker': here('src-main/core/capture/import-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: true,
      // A sandboxed preload must be CommonJS; with "type": "module" electron-vite would emit .mjs.
      rollupOptions: {
        input: { preload: here('src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('src-renderer'),
    plugins: [svelte({ configFile: here('svelte.config.js') })],
    build: {
      outDir: here('out/renderer'),
      rollupOptions: { input: { index: here('src-renderer/index.html') } },
    },
  },
});
