import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one RabbitMQ started by the global setup.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
  },
});
