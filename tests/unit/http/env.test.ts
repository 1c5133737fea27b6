import { afterEach, expect, test } from 'vitest'
import { contentRoot } from '../../../lib/content/root.server'
import { envNow } from '../../../lib/env.server'

// Variables read while the process runs are validated by lib/env.server.ts's schema too.

const saved = { ...process.env }
afterEach(() => {
  for (const key of ['QUAI_CONTENT_DIR', 'QUAI_SANDBOX_RUNTIME', 'QUAI_SANDBOX_TRACE']) {
    if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
  }
})

test('defaults, current values, and a bad value named', () => {
  delete process.env.QUAI_SANDBOX_RUNTIME
  delete process.env.QUAI_SANDBOX_TRACE
  expect(envNow('QUAI_SANDBOX_RUNTIME')).toBe('on')
  expect(envNow('QUAI_SANDBOX_TRACE')).toBe('0')
  process.env.QUAI_SANDBOX_RUNTIME = 'off'
  expect(envNow('QUAI_SANDBOX_RUNTIME')).toBe('off')
  process.env.QUAI_SANDBOX_TRACE = 'yes'
  expect(() => envNow('QUAI_SANDBOX_TRACE')).toThrow(/QUAI_SANDBOX_TRACE/)
})

test('the content folder follows QUAI_CONTENT_DIR as it changes', () => {
  delete process.env.QUAI_CONTENT_DIR
  expect(contentRoot('/srv/quai')).toBe('/srv/quai/content')
  process.env.QUAI_CONTENT_DIR = '/tmp/other-content'
  expect(contentRoot('/srv/quai')).toBe('/tmp/other-content')
})
