import { afterEach } from 'vitest'
import { getEnv, resetEnvForTests } from '@/lib/env.server'

/**
 * For tests of environment variables: the returned `withEnv(values)` sets them and returns
 * getEnv (call it to parse, or expect it to throw); `names` are put back after each test.
 */
export function envOverrides(names: string[]): (values: Record<string, string>) => typeof getEnv {
  const saved = { ...process.env }
  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
    resetEnvForTests()
  })
  return (values) => {
    Object.assign(process.env, values)
    resetEnvForTests()
    return getEnv
  }
}
