import { defineConfig } from 'vitest/config'
import { alias } from './vitest.config'

// The simulated cluster test (tests/cluster, docs/cluster.md): `npm run test:cluster`. Apart
// from vitest.config.ts because it takes minutes and the host engine's resources (three
// Docker-in-Docker nodes), so a plain `npx vitest run` never starts it. Root and Docker needed.

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
