import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/fixtures/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Integration suites share MariaDB/Redis/Kafka; each uses its own database, Redis db and topic.
    fileParallelism: true,
  },
})
