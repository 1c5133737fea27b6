import { describe, expect, it } from 'vitest'
import { loadImageCatalog, normalizeImageName, sandboxImageProblems } from '@/lib/content/image-catalog.server'
import { sandboxSpecSchema } from '@/lib/content/schema'

const catalog = loadImageCatalog()
const problems = (sandbox: unknown) => sandboxImageProblems('lesson.mdx', sandboxSpecSchema.parse(sandbox), catalog)

describe('lesson images against images/catalog.txt and registry-only.txt', () => {
  it('names images the way a registry does', () => {
    expect(normalizeImageName('nginx')).toBe('nginx:latest')
    expect(normalizeImageName('docker.io/library/redis:8')).toBe('redis:8')
    expect(normalizeImageName('prom/prometheus')).toBe('prom/prometheus:latest')
  })

  it('accepts images built offline, under any of their mirror names', () => {
    expect(problems({ images: ['nginx', 'node:20-slim', 'prom/prometheus:v2.53.3', 'debian:trixie-slim'] })).toEqual([])
  })

  it('refuses an image that is neither built offline nor known as registry-only', () => {
    expect(problems({ images: ['nginx', 'mongo:7'] })).toEqual([
      { file: 'lesson.mdx', field: 'sandbox.images[1]', message: expect.stringContaining('"mongo:7" is not built offline') },
    ])
  })

  it('refuses a tag of a built image that the mirror does not serve', () => {
    expect(problems({ images: ['nginx:0.1'] })[0]?.field).toBe('sandbox.images[0]')
  })

  it('wants registry-only images declared in sandbox.registryOnly with a reason', () => {
    expect(problems({ images: ['traefik:v3.1'] })[0]?.message).toMatch(/declare it in sandbox.registryOnly/)
    expect(problems({ images: ['traefik:v3.1'], registryOnly: [{ image: 'traefik', reason: 'Traefik is not packaged by Debian' }] })).toEqual([])
  })
})
