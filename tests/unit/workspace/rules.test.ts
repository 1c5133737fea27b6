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
  const prefix = '/sandboxes/abc/ports/node1/8080/'

  it("recognises Quai's cookies", () => {
    expect(isQuaiCookie('better-auth.session_token')).toBe(true)
    expect(isQuaiCookie('__Secure-better-auth.session_token')).toBe(true)
    expect(isQuaiCookie('QUAI_LOCALE')).toBe(true)
    expect(isQuaiCookie('grafana_session')).toBe(false)
  })

  it("removes Quai's cookies from what the app receives", () => {
    expect(stripQuaiCookies('better-auth.session_token=s; app=1; QUAI_LOCALE=fr; b=2')).toBe('app=1; b=2')
    expect(stripQuaiCookies('better-auth.session_token=s')).toBeNull()
    expect(stripQuaiCookies(undefined)).toBeNull()
  })

  it("refuses Quai's cookie names and confines the app's cookies to its prefix", () => {
    expect(
      rewriteSetCookies(
        ['better-auth.session_token=stolen; Path=/', 'app=1; Path=/; Domain=evil.example; HttpOnly', 'pref=x', 'deep=1; path=/admin'],
        prefix,
      ),
    ).toEqual(['app=1; Path=/sandboxes/abc/ports/node1/8080/; HttpOnly', 'pref=x; Path=/sandboxes/abc/ports/node1/8080/', 'deep=1; Path=/sandboxes/abc/ports/node1/8080/admin'])
  })

  it('keeps redirects inside the prefix', () => {
    expect(rewriteLocation('/login', prefix, '10.0.0.2', 8080)).toBe('/sandboxes/abc/ports/node1/8080/login')
    expect(rewriteLocation('http://10.0.0.2:8080/a?b=1', prefix, '10.0.0.2', 8080)).toBe('/sandboxes/abc/ports/node1/8080/a?b=1')
    expect(rewriteLocation('http://localhost:8080/x', prefix, '10.0.0.2', 8080)).toBe('/sandboxes/abc/ports/node1/8080/x')
    expect(rewriteLocation('https://example.org/', prefix, '10.0.0.2', 8080)).toBe('https://example.org/')
    expect(rewriteLocation('next', prefix, '10.0.0.2', 8080)).toBe('next')
    expect(rewriteLocation('//evil.example/x', prefix, '10.0.0.2', 8080)).toBe('//evil.example/x')
  })
})
