import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { expect, request, test } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { newStudent, signUp } from '../support/accounts'

// Every request that can change something must come from Quai's own pages. The check sits in
// front of every route (server.ts); this walks every route handler in app/, so a route added
// tomorrow is tried too, with a signed-in learner's cookie and a foreign or missing Origin.

const stateChanging = ['POST', 'PUT', 'PATCH', 'DELETE'] as const

// better-auth's catch-all route serves many endpoints: the ones that change something.
const authEndpoints = ['sign-in/email', 'sign-up/email', 'sign-out', 'update-user', 'change-password', 'delete-user']

function routeHandlers(): { url: string; method: (typeof stateChanging)[number] }[] {
  const found: { url: string; method: (typeof stateChanging)[number] }[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name === 'route.ts') {
        const source = fs.readFileSync(full, 'utf8')
        const segments = path
          .relative('app', path.dirname(full))
          .split(path.sep)
          .filter((segment) => !/^\(.*\)$/.test(segment))
        const urls = segments.some((segment) => segment.startsWith('[...'))
          ? authEndpoints.map((endpoint) => `/${segments.map((segment) => (segment.startsWith('[...') ? endpoint : segment)).join('/')}`)
          : [`/${segments.map((segment) => (segment.startsWith('[') ? 'x1' : segment)).join('/')}`]
        for (const method of stateChanging) {
          const exported = new RegExp(`export (const|async function|function) ${method}\\b|export \\{[^}]*\\bas ${method}\\b`).test(source)
          if (exported) for (const url of urls) found.push({ url, method })
        }
      }
    }
  }
  walk('app')
  return found
}

test('every state-changing route refuses a foreign or missing Origin, and accepts Quai\'s own', async () => {
  const routes = routeHandlers()
  // The walk itself must see the routes it is meant to guard.
  expect(routes.length).toBeGreaterThanOrEqual(20)
  expect(routes).toContainEqual({ url: '/api/sandboxes/x1/files/content', method: 'PUT' })
  expect(routes).toContainEqual({ url: '/api/auth/sign-in/email', method: 'POST' })

  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  expect((await api.post('/api/auth/sign-up/email', { data: newStudent() })).ok()).toBe(true)
  const { cookies } = await api.storageState()
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')

  for (const { url, method } of routes) {
    for (const [label, headers] of [
      ['another site', { origin: 'http://evil.example' }],
      ['another local port', { origin: 'http://localhost:1' }],
      ['a port origin', { origin: `http://p8080-${'a'.repeat(26)}.${new URL(baseURL).host}` }],
      ['an opaque origin', { origin: 'null' }],
      ['no Origin at all', {}],
      ['no Origin, cross-site fetch metadata', { 'sec-fetch-site': 'cross-site' }],
    ] as const) {
      const response = await fetch(`${baseURL}${url}`, { method, headers: { cookie, 'content-type': 'application/json', ...headers }, body: method === 'DELETE' ? undefined : '{}' })
      expect(response.status, `${method} ${url} from ${label}`).toBe(403)
      expect(((await response.json()) as { error: { code: string } }).error.code, `${method} ${url} from ${label}`).toBe('cross_origin')
    }
    // The same request from Quai's own pages reaches the route (which may refuse it for its own reasons).
    const own = await fetch(`${baseURL}${url}`, { method, headers: { cookie, 'content-type': 'application/json', origin: baseURL }, body: method === 'DELETE' ? undefined : '{}' })
    const body = await own.text()
    expect(body, `${method} ${url} from Quai`).not.toContain('cross_origin')
  }
  await api.dispose()
})

test('a form posted from another local port does not reach Quai with the learner\'s cookie', async ({ page }) => {
  await signUp(page)
  // The attacker's page, on another port of the same host (same site as Quai for the browser).
  const attacker = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end(`<form id="f" method="POST" enctype="multipart/form-data" action="${baseURL}/api/sandboxes/x1/files/upload?course=demo&lesson=labo">
      <input type="hidden" name="file" value="owned"></form><script>document.getElementById('f').submit()</script>`)
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = attacker.address() as AddressInfo
    const answer = page.waitForResponse((response) => response.url().startsWith(`${baseURL}/api/sandboxes/x1/files/upload`))
    await page.goto(`http://localhost:${port}/`)
    const response = await answer
    expect(response.status()).toBe(403)
    expect(await response.text()).toContain('cross_origin')
  } finally {
    attacker.close()
  }
})

test('a server action posted from another origin is refused before Next runs it', async () => {
  const response = await fetch(`${baseURL}/`, { method: 'POST', headers: { origin: 'http://evil.example', 'next-action': 'x', 'content-type': 'text/plain' }, body: '[]' })
  expect(response.status).toBe(403)
})
