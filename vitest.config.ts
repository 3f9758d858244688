import { svelte } from '@sveltejs/vite-plugin-svelte';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const COMPONENT_TESTS = 'test/renderer/**/*.component.test.ts';

// Two projects in one run (`npm test` = `vitest run`, one JSON report that .ci/run counts): the Node tests
// (core, hosts, CLI, models, E2E driving Chromium) and the Svelte component tests in happy-dom.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [COMPONENT_TESTS],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // Integration tests share one RabbitMQ started by the global setup.
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
        },
      },
      {
        // The same plugin and svelte.config.js as the renderer build (electron.config.ts), so components are
        // compiled as they ship.
        plugins: [svelte({ configFile: here('svelte.config.js') })],
        // Svelte's package exports pick its server renderer unless told this is a browser (`mount` then throws
        // "lifecycle_function_unavailable"); @testing-library/svelte's vite plugin would empty the list instead.
        resolve: { conditions: ['browser'] },
        // node_modules may be a link to another checkout's (a git worktree); vite serves only allowed folders.
        server: { fs: { allow: [here('.'), realpathSync(here('node_modules'))] } },
        test: {
          name: 'components',
          include: [COMPONENT_TESTS],
          environment: 'happy-dom',
          // Unmounts each test's components (the library's own cleanup hook).
          setupFiles: ['@testing-library/svelte/vitest'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
