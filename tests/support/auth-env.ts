import { beforeAll } from 'vitest'
import { resetEnvForTests } from '@/lib/env.server'

/** Accounts tests run better-auth in this process: its URL, a fixed secret, and the sign-in limits on or off. */
export function setAuthEnvironmentBeforeAll(appUrl: string, rateLimit: 'on' | 'off'): void {
  beforeAll(() => {
    process.env.QUAI_URL = appUrl
    process.env.BETTER_AUTH_SECRET = 'integration-test-secret-integration-test-secret'
    process.env.QUAI_AUTH_RATE_LIMIT = rateLimit
    resetEnvForTests()
  })
}
