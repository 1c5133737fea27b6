import type { IncomingMessage } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resetEnvForTests } from '@/lib/env.server'
import { crossOriginRefusal, isSameOriginUpgrade } from '@/lib/http/origin.server'
import { parsePortHost, portOrigin, safeAppPath, sharedParentDomainWarning } from '@/lib/workspace/port-origins'

const request = (method: string, headers: Record<string, string>) => ({ method, headers: { host: 'localhost:3000', ...headers } }) as unknown as IncomingMessage

describe("the origin check in front of Quai's routes", () => {
  beforeEach(() => {
    process.env.QUAI_URL = 'https://quai.example.org'
    resetEnvForTests()
  })
  afterEach(() => {
    delete process.env.QUAI_URL
    resetEnvForTests()
  })

  it('lets reads through whatever their origin', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(crossOriginRefusal(request(method, { origin: 'http://evil.example' }))).toBeNull()
  })

  it("accepts state-changing requests from QUAI_URL's origin and from the host they were sent to", () => {
    expect(crossOriginRefusal(request('POST', { origin: 'https://quai.example.org' }))).toBeNull()
    expect(crossOriginRefusal(request('DELETE', { origin: 'http://localhost:3000' }))).toBeNull()
    expect(crossOriginRefusal(request('PUT', { 'sec-fetch-site': 'same-origin' }))).toBeNull()
  })

  it('refuses them from anywhere else, and without any sign of where they come from', () => {
    const refused: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'https://quai.example.org.evil.example' },
      { origin: 'http://localhost:3001' },
      { origin: 'http://p8080-aaaaaaaaaaaaaaaaaaaaaaaaaa.localhost:3000' },
      { origin: 'null' },
      { origin: 'not a url' },
      {},
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]
    for (const headers of refused) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(crossOriginRefusal(request(method, headers)), `${method} ${JSON.stringify(headers)}`).toMatch(/Quai's own pages/)
    }
  })

  it('opens WebSockets to Quai only from its own pages', () => {
    expect(isSameOriginUpgrade(request('GET', { origin: 'http://localhost:3000' }))).toBe(true)
    expect(isSameOriginUpgrade(request('GET', { origin: 'http://p80-aaaaaaaaaaaaaaaaaaaaaaaaaa.localhost:3000' }))).toBe(false)
    expect(isSameOriginUpgrade(request('GET', {}))).toBe(false)
  })
})

describe('port origins', () => {
  const token = 'abcdefghijklmnopqrstuvwxyz'
  it('names one port and token per host under the ports URL', () => {
    expect(portOrigin('http://localhost:3000', 8080, token)).toBe(`http://p8080-${token}.localhost:3000`)
    expect(portOrigin('https://ports.ecole.fr', 80, token)).toBe(`https://p80-${token}.ports.ecole.fr`)
    expect(parsePortHost(`p8080-${token}.localhost:3000`, 'http://localhost:3000')).toEqual({ port: 8080, token })
    expect(parsePortHost(`P8080-${token.toUpperCase()}.Ports.Ecole.FR`, 'https://ports.ecole.fr')).toEqual({ port: 8080, token })
  })

  it("never takes Quai's own host, another port's suffix, or a malformed label for a port", () => {
    for (const host of ['localhost:3000', `p8080-${token}.localhost:3001`, `p8080-${token}.evil.localhost:3000`, `p0-${token}.localhost:3000`, `p70000-${token}.localhost:3000`, `p080-${token}.localhost:3000`, `p8080-${token}1.localhost:3000`, `x.p8080-${token}.localhost:3000`, undefined]) {
      expect(parsePortHost(host, 'http://localhost:3000'), String(host)).toBeNull()
    }
    expect(parsePortHost(`p8080-${token}.localhost:3000`, null)).toBeNull()
  })

  it('lands only on local paths of the app after a grant', () => {
    expect(safeAppPath('/a/b?c=1#d')).toBe('/a/b?c=1#d')
    for (const raw of ['//evil.example/x', '/\\evil.example', '/\tevil', 'https://evil.example/', 'javascript:alert(1)', '', null, '/%0d%0aSet-Cookie:x']) {
      const landed = safeAppPath(raw)
      expect(landed.startsWith('/') && !landed.startsWith('//'), String(raw)).toBe(true)
      expect(new URL(landed, 'http://app.invalid').host, String(raw)).toBe('app.invalid')
    }
  })
})

describe('where ports live beside Quai', () => {
  it('warns when port origins share a parent domain with Quai, and not for *.localhost or a separate domain', () => {
    expect(sharedParentDomainWarning('https://quai.ecole.fr', 'https://ports.ecole.fr')).toMatch(/share the domain ecole\.fr/)
    expect(sharedParentDomainWarning('https://quai.ecole.fr', 'https://quai-ports.net')).toBeNull()
    expect(sharedParentDomainWarning('http://localhost:3000', 'http://localhost:3000')).toBeNull()
    expect(sharedParentDomainWarning('http://192.168.1.10:3000', 'http://ports.ecole.fr')).toBeNull()
    expect(sharedParentDomainWarning('https://quai.ecole.fr', null)).toBeNull()
  })
})
