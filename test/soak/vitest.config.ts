// `npm run soak`: the reliability tests (test/reliability) with full-size parameters: 1,000,000 frames
// each way for byte-exactness, 500 connections with 20 messages each, a 20 s kill -9 run. Same code paths as in
// `npm test`, only bigger; one file at a time, so that the figures are not skewed by each other. Bounded: each
// test has its own time limit, and the whole run takes a few minutes on 2 cores.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/reliability/**/*.test.ts'],
    env: { STOMPSCOPE_SOAK: '1' },
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 180_000,
  },
});
