import { defineConfig } from '@playwright/test'

// Quai's own stack on the simulated Swarm, in Chromium (tests/cluster/stack.spec.ts,
// docs/cluster.md): `npx playwright test -c playwright.cluster.config.ts`, as root, after
// `npm run images:build` and a production build. The spec starts its own browser: Chromium must
// resolve the app's name to the cluster's edge, whose address is known only once it is up.
export default defineConfig({
  testDir: 'tests/cluster',
  testMatch: /\.spec\.ts$/,
  outputDir: 'test-results/cluster',
  workers: 1,
  retries: 0,
  timeout: 20 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
})
