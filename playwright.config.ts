import { defineConfig } from '@playwright/test'

// End-to-end tests drive Debian's Chromium against a production build of Quai started on a
// throwaway database (`npm run build` first; `npm test` does it). Three servers: one on the test
// fixtures' small course (deterministic flows), one on the real curriculum (every lesson renders),
// one on deliberately broken content (what a learner sees when a lesson has an error).
const port = Number(process.env.QUAI_E2E_PORT ?? 3211)
export const baseURL = `http://localhost:${port}`
export const curriculumURL = `http://localhost:${port + 1}`
export const brokenContentURL = `http://localhost:${port + 2}`

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalSetup: './tests/e2e/support/global-setup.ts',
  globalTeardown: './tests/e2e/support/global-teardown.ts',
  // The security specs (tests/e2e/security) run apart, as `npm run test:security` does.
  projects: [
    // QUAI_E2E_SPLIT=0 runs each server as one process (tests/e2e/support/start-server.sh): then the split's own spec does not apply.
    { name: 'main', testIgnore: process.env.QUAI_E2E_SPLIT === '0' ? [/[\\/]security[\\/]/, /[\\/]split\.spec\.ts$/] : /[\\/]security[\\/]/ },
    { name: 'security', testMatch: /[\\/]security[\\/].*\.spec\.ts$/ },
  ],
  use: {
    baseURL,
    locale: 'fr-FR',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.QUAI_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: [
    {
      command: 'bash tests/e2e/support/start-server.sh fixtures tests/fixtures/content',
      url: `${baseURL}/`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PORT: String(port), QUAI_URL: baseURL },
    },
    {
      command: 'bash tests/e2e/support/start-server.sh curriculum content',
      url: `${curriculumURL}/`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PORT: String(port + 1), QUAI_URL: curriculumURL },
    },
    {
      command: 'bash tests/e2e/support/start-server.sh broken tests/fixtures/content-broken',
      url: `${brokenContentURL}/`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PORT: String(port + 2), QUAI_URL: brokenContentURL, QUAI_SANDBOX_RUNTIME: 'off' },
    },
  ],
})
