import path from 'node:path'
import { defineConfig } from 'vitest/config'

// The simulated cluster test (tests/cluster, docs/cluster.md): `npm run test:cluster`. Apart
// from vitest.config.ts because it takes minutes and the host engine's resources (three
// Docker-in-Docker nodes), so a plain `npx vitest run` never starts it. Root and Docker needed.
const alias = {
  '@': path.resolve(import.meta.dirname),
  'server-only': path.resolve(import.meta.dirname, 'tests/support/empty-module.ts'),
}

export default defineConfig({
  resolve: { alias },
  test: {
    name: 'cluster',
    include: ['tests/cluster/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
})
