import { describe, expect, it } from 'vitest'
import { FileRefusal, isInside, looksBinary, relativeSegments } from '../../../lib/workspace/files.server'
import { isQuaiCookie, rewriteLocation, rewriteSetCookies, stripQuaiCookies } from '../../../lib/workspace/port-proxy.server'

describe('file paths relative to the lesson folder', () => {
  it('keeps ordinary relative paths', () => {
    expect(relativeSegments('compose.yaml')).toEqual(['compose.yaml'])
    expect(relativeSegments('./conf//prometheus.yml')).toEqual(['conf', 'prometheus.yml'])
  })

  it('refuses absolute paths, "..", control characters and absurd lengths', () => {
    const refused = (path: string) => {
      try {
        relativeSegments(path)
        return null
      } catch (error) {
        return error instanceof FileRefusal ? error.code : 'other'
      }
    }
    expect(refused('/etc/passwd')).toBe('path_outside')
    expect(refused('~/x')).toBe('path_outside')
    expect(refused('../x')).toBe('path_outside')
    expect(refused('a/../../x')).toBe('path_outside')
    expect(refused('a\u0000b')).toBe('path_invalid')
    expect(refused('a\\..\\b')).toBe('path_invalid')
    expect(refused('x'.repeat(2000))).toBe('path_invalid')
    expect(refused(`${'a/'.repeat(40)}b`)).toBe('path_invalid')
  })

  it('tells inside from outside after normalisation', () => {
    expect(isInside('/root/lab/l', '/root/lab/l')).toBe(true)
    expect(isInside('/root/lab/l', '/root/lab/l/a/b')).toBe(true)
    expect(isInside('/root/lab/l', '/root/lab/l/../l2')).toBe(false)
    expect(isInside('/root/lab/l', '/root/lab/lesson-2')).toBe(false)
    expect(isInside('/root/lab/l', '/etc')).toBe(false)
  })

  it('detects binary content', () => {
    expect(looksBinary(Buffer.from('services:\n  web: {}\n'))).toBe(false)
    expect(looksBinary(Buffer.from('héllo ✓'))).toBe(false)
    expect(looksBinary(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]))).toBe(true)
    expect(looksBinary(Buffer.from([0xff, 0xfe, 0x41]))).toBe(true)
  })
})

describe('port proxy cookies and redirects', () => {
  it("recognises Quai's cookies, the port access cookie among them", () => {
    expect(isQuaiCookie('better-auth.session_token')).toBe(true)
    expect(isQuaiCookie('__Secure-better-auth.session_token')).toBe(true)
    expect(isQuaiCookie('QUAI_LOCALE')).toBe(true)
    expect(isQuaiCookie('quai_port_access')).toBe(true)
    expect(isQuaiCookie('__Host-quai_port_access')).toBe(true)
    expect(isQuaiCookie('grafana_session')).toBe(false)
  })

  it("removes Quai's cookies from what the app receives", () => {
    expect(stripQuaiCookies('better-auth.session_token=s; app=1; QUAI_LOCALE=fr; quai_port_access=x.y; b=2')).toBe('app=1; b=2')
    expect(stripQuaiCookies('better-auth.session_token=s')).toBeNull()
    expect(stripQuaiCookies(undefined)).toBeNull()
  })

  it("refuses Quai's cookie names and keeps the app's cookies on its own host", () => {
    expect(
      rewriteSetCookies(['better-auth.session_token=stolen; Path=/', 'quai_port_access=forged', 'app=1; Path=/; Domain=localhost; HttpOnly', 'pref=x', 'deep=1; path=/admin']),
    ).toEqual(['app=1; Path=/; HttpOnly', 'pref=x', 'deep=1; path=/admin'])
  })

  it("keeps redirects to the app's inner address on the port origin", () => {
    expect(rewriteLocation('/login', '10.0.0.2', 8080)).toBe('/login')
    expect(rewriteLocation('http://10.0.0.2:8080/a?b=1', '10.0.0.2', 8080)).toBe('/a?b=1')
    expect(rewriteLocation('http://localhost:8080/x', '10.0.0.2', 8080)).toBe('/x')
    expect(rewriteLocation('https://example.org/', '10.0.0.2', 8080)).toBe('https://example.org/')
    expect(rewriteLocation('next', '10.0.0.2', 8080)).toBe('next')
  })
})
