import { afterEach, expect, test } from 'vitest'
import { contentRoot } from '../../../lib/content/root.server'
import { resolveDatabaseUrl } from '../../../lib/db/url'
import { hostSocketPath } from '../../../lib/docker/diagnose.server'
import { envNow } from '../../../lib/env.server'

// Variables read while the process runs are validated by lib/env.server.ts's schema too.

const saved = { ...process.env }
afterEach(() => {
  for (const key of ['DATABASE_URL', 'DOCKER_HOST', 'QUAI_CONTENT_DIR', 'QUAI_SANDBOX_RUNTIME', 'QUAI_SANDBOX_TRACE']) {
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

test('the database URL: the embedded default, PostgreSQL, and anything else refused by name', () => {
  delete process.env.DATABASE_URL
  expect(resolveDatabaseUrl()).toBe('file:./data/quai.db')
  process.env.DATABASE_URL = ' postgresql://quai@db/quai '
  expect(resolveDatabaseUrl()).toBe('postgresql://quai@db/quai')
  process.env.DATABASE_URL = 'mysql://quai@db/quai'
  expect(() => resolveDatabaseUrl()).toThrow(/DATABASE_URL: expected "file:".*got "mysql:…"/)
})

test('the host engine: its unix socket, or the default one; a TCP engine is refused by name', () => {
  delete process.env.DOCKER_HOST
  expect(hostSocketPath()).toBe('/var/run/docker.sock')
  process.env.DOCKER_HOST = 'unix:///run/user/1000/docker.sock'
  expect(hostSocketPath()).toBe('/run/user/1000/docker.sock')
  process.env.DOCKER_HOST = 'tcp://10.0.0.2:2375'
  expect(() => hostSocketPath()).toThrow(/DOCKER_HOST: .*unix socket/)
})
