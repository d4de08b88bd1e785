import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/**/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Backends open real LevelDB directories and real files; forks isolate native handles per file.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
