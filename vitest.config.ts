import path from 'node:path'
import { defineConfig } from 'vitest/config'

/** Also the cluster test's (vitest.cluster.config.ts). */
export const alias = {
  '@': path.resolve(import.meta.dirname),
  // Tests run on the server side: `server-only` is its empty module here.
  'server-only': path.resolve(import.meta.dirname, 'tests/support/empty-module.ts'),
}

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', sequence: { groupOrder: 0 } },
      },
      {
        // Tests against a real Docker engine and real databases: slower, fewer at once.
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          // Unit tests first (all cores), then these with their own worker limit.
          sequence: { groupOrder: 1 },
          globalSetup: ['tests/support/integration-setup.ts'],
          setupFiles: ['tests/support/integration-file-db.ts'],
        },
      },
    ],
  },
})
