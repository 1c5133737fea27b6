import http from 'node:http'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { sandboxApi } from '../../../lib/workspace/api'
import { lesson, TerminalProbe, terminalUrl, type Account } from './support'
import type { WorkspaceContext } from './terminal.suite'

// The learner's app: busybox httpd in the sandbox's own daemon, published with -p, with a CGI
// that shows what it received and answers headers that must not pass: Quai's session cookie,
// a cookie for a parent domain, Service-Worker-Allowed, Clear-Site-Data and HSTS.
const cgi = [
  '#!/bin/sh',
  "printf 'Content-Type: text/plain\\r\\n'",
  "printf 'Set-Cookie: better-auth.session_token=stolen; Path=/\\r\\n'",
  "printf 'Set-Cookie: app=1; Path=/; Domain=localhost\\r\\n'",
  "printf 'Service-Worker-Allowed: /\\r\\n'",
  "printf 'Clear-Site-Data: \"cookies\"\\r\\n'",
  "printf 'Strict-Transport-Security: max-age=31536000; includeSubDomains\\r\\n\\r\\n'",
  'echo "URI=$REQUEST_URI"',
  'echo "COOKIE=$HTTP_COOKIE"',
  '',
].join('\n')
const slowCgi = ['#!/bin/sh', 'sleep 2', "printf 'Content-Type: text/plain\\r\\n\\r\\nslow\\n'", ''].join('\n')
const port = 8080

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A request to a port origin: to the server's loopback address, with the port host in Host (Node does not resolve *.localhost). */
function portRequest(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: Number(target.port), method: options.method ?? 'GET', path: `${target.pathname}${target.search}`, headers: { host: target.host, ...options.headers } },
      (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => (body += chunk.toString()))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
      },
    )
    request.on('error', reject)
    request.end()
  })
}

const cookieOf = (answer: Answer) => (answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ')

export function portsSuite(ctx: () => WorkspaceContext) {
  const quai = (account: Account | null, path: string, init: RequestInit = {}) =>
    fetch(`${ctx().server.url}${path}`, { redirect: 'manual', ...init, headers: { ...(account ? { cookie: account.cookie } : {}), origin: ctx().server.url, ...(init.headers as Record<string, string>) } })

  /** Follows Quai's /open link to the port origin and spends the grant: the port's URL and its access cookie. */
  async function enter(account: Account, sandboxId: string, path = '/'): Promise<{ origin: string; cookie: string; enterUrl: string }> {
    const open = await quai(account, `${sandboxApi.openPort(sandboxId, 'node1', port)}?path=${encodeURIComponent(path)}`)
    expect(open.status, await open.clone().text()).toBe(303)
    const enterUrl = open.headers.get('location')!
    const origin = new URL(enterUrl).origin
    const spent = await portRequest(enterUrl)
    expect(spent.status).toBe(303)
    expect(spent.headers.location).toBe(path)
    return { origin, cookie: cookieOf(spent), enterUrl }
  }

  async function waitForApp(origin: string, cookie: string): Promise<Answer> {
    let answer = await portRequest(`${origin}/cgi-bin/echo?x=1`, { headers: { cookie } })
    for (let i = 0; i < 20 && answer.status === 502; i++) {
      await new Promise((r) => setTimeout(r, 250))
      answer = await portRequest(`${origin}/cgi-bin/echo?x=1`, { headers: { cookie } })
    }
    return answer
  }

  describe('ports on their own origins', () => {
    beforeAll(async () => {
      const { server, alice, sandboxId } = ctx()
      const save = await quai(alice, sandboxApi.fileContent(sandboxId), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'www/cgi-bin/echo', content: cgi }),
      })
      expect(save.status).toBe(200)
      const slow = await quai(alice, sandboxApi.fileContent(sandboxId), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'www/cgi-bin/slow', content: slowCgi }),
      })
      expect(slow.status).toBe(200)
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      const out = await term.run(`chmod +x www/cgi-bin/echo www/cgi-bin/slow && docker run -d --name web -p ${port}:8080 -v "$PWD/www:/www" busybox httpd -f -p 8080 -h /www`, 60_000)
      expect(out).toMatch(/[0-9a-f]{64}/)
      term.close()
    }, 90_000)

    it('lists published ports with the link that opens each, and no proxy is left on Quai\'s origin', async () => {
      const { alice, sandboxId } = ctx()
      const list = await quai(alice, sandboxApi.ports(sandboxId))
      expect(list.status).toBe(200)
      const { ports } = (await list.json()) as { ports: { port: number; url: string; node: string; container: string; shared: boolean }[] }
      expect(ports).toEqual([expect.objectContaining({ node: 'node1', port, container: 'web', url: sandboxApi.openPort(sandboxId, 'node1', port), shared: false })])
      expect((await quai(alice, `/sandboxes/${sandboxId}/ports/node1/${port}/index.html`)).status).toBe(404)
    })

    it('serves the app on p<port>-<token>.localhost for its owner, with neither Quai\'s cookies nor its dangerous headers', async () => {
      const { alice, sandboxId, server } = ctx()
      const { origin, cookie, enterUrl } = await enter(alice, sandboxId, '/cgi-bin/echo?x=1')
      expect(origin).toMatch(new RegExp(`^http://p${port}-[a-z2-7]{26}\\.localhost:${new URL(server.url).port}$`))
      expect(cookie).toMatch(/^quai_port_access=[\w-]+\.[\w-]+$/)
      // A grant opens once.
      expect((await portRequest(enterUrl)).status).toBe(403)

      const answer = await waitForApp(origin, `${cookie}; app=kept; ${alice.cookie}`)
      expect(answer.status).toBe(200)
      expect(answer.body).toContain('URI=/cgi-bin/echo?x=1')
      expect(answer.body).toContain('COOKIE=app=kept')
      expect(answer.body).not.toMatch(/better-auth|quai_port_access/)
      expect(answer.headers['set-cookie']).toEqual(['app=1; Path=/'])
      expect(answer.headers['service-worker-allowed']).toBeUndefined()
      expect(answer.headers['clear-site-data']).toBeUndefined()
      expect(answer.headers['strict-transport-security']).toBeUndefined()
    })

    it('refuses requests without a valid access cookie, and Quai\'s session does not count as one', async () => {
      const { alice, bob, sandboxId } = ctx()
      const { origin, cookie } = await enter(alice, sandboxId)
      const [, value = ''] = cookie.split('=')
      const [payload = '', signature = ''] = value.split('.')
      const forgedPayload = Buffer.from(JSON.stringify({ u: bob.userId, t: new URL(origin).hostname.split('.')[0]!.split('-')[1], e: Date.now() + 60_000 })).toString('base64url')
      const cases: [string, Record<string, string>, number][] = [
        ['no cookie', {}, 401],
        ["Quai's session cookie", { cookie: alice.cookie }, 401],
        ['a forged signature', { cookie: `quai_port_access=${payload}.${signature.slice(0, -2)}xx` }, 401],
        ['a payload naming bob with alice\'s signature', { cookie: `quai_port_access=${forgedPayload}.${signature}` }, 401],
      ]
      for (const [label, headers, status] of cases) {
        const answer = await portRequest(`${origin}/cgi-bin/echo`, { headers })
        expect(answer.status, label).toBe(status)
        expect(answer.body, label).toMatch(/open this port from Quai/)
      }
      // A browser landing there without access is sent to Quai for a new grant.
      const navigation = await portRequest(`${origin}/cgi-bin/echo?y=2`, { headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none' } })
      expect(navigation.status).toBe(302)
      expect(navigation.headers.location).toBe(`${ctx().server.url}${sandboxApi.openPort(sandboxId, 'node1', port)}?path=${encodeURIComponent('/cgi-bin/echo?y=2')}`)
      // Another port token, an unknown host label, or the wrong port number for the token.
      const otherToken = origin.replace(/-[a-z2-7]{26}\./, `-${'a'.repeat(26)}.`)
      expect((await portRequest(`${otherToken}/`, { headers: { cookie } })).status).toBe(404)
      expect((await portRequest(origin.replace(`p${port}-`, 'p9090-') + '/', { headers: { cookie } })).status).toBe(404)
    })

    it('answers what a sibling origin sends in the background with 403, and navigations normally', async () => {
      const { alice, sandboxId } = ctx()
      const { origin, cookie } = await enter(alice, sandboxId)
      const background = await portRequest(`${origin}/cgi-bin/echo`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })
      expect(background.status).toBe(403)
      const fetched = await portRequest(`${origin}/cgi-bin/echo`, { headers: { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' } })
      expect(fetched.status).toBe(403)
      const navigation = await portRequest(`${origin}/cgi-bin/echo`, { headers: { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' } })
      expect(navigation.status).toBe(200)
      const own = await portRequest(`${origin}/cgi-bin/echo`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } })
      expect(own.status).toBe(200)
    })

    it('refuses other users, unpublished ports, unknown nodes and ended sandboxes at the open link', async () => {
      const { alice, bob, carol, sandboxId, endedSandboxId } = ctx()
      const cases: [string, Account | null, string, number, RegExp][] = [
        ["bob on alice's port", bob, sandboxApi.openPort(sandboxId, 'node1', port), 403, /someone else|not shared/],
        ['port 0', alice, `/api/sandboxes/${sandboxId}/ports/node1/0/open`, 422, /port/],
        ['port 70000', alice, `/api/sandboxes/${sandboxId}/ports/node1/70000/open`, 422, /port/],
        ['unpublished port', alice, sandboxApi.openPort(sandboxId, 'node1', 9090), 404, /not published/],
        ['unknown node', alice, sandboxApi.openPort(sandboxId, 'node7', port), 404, /no node/],
        ['an ended sandbox', carol, sandboxApi.openPort(endedSandboxId, 'node1', port), 409, /not running/],
        ['unknown sandbox', alice, sandboxApi.openPort('sbxnope', 'node1', port), 404, /does not exist/],
      ]
      for (const [label, who, path, status, message] of cases) {
        const answer = await quai(who, path)
        expect(answer.status, label).toBe(status)
        expect(await answer.text(), label).toMatch(message)
      }
      const anonymous = await quai(null, sandboxApi.openPort(sandboxId, 'node1', port))
      expect(anonymous.status).toBe(303)
      expect(anonymous.headers.get('location')).toMatch(/^\/sign-in\?next=/)
      expect((await quai(bob, sandboxApi.ports(sandboxId))).status).toBe(403)
      expect((await quai(null, sandboxApi.ports(sandboxId))).status).toBe(401)
    })

    it('lets the owner share a port with the instructors of their class, and take it back', async () => {
      const { server, alice, bob, sandboxId } = ctx()
      // Bob teaches alice's class (made an instructor the way `npm run user:role` does it).
      const db = new Database(server.databaseUrl.slice('file:'.length))
      db.prepare('UPDATE "user" SET role = ? WHERE id = ?').run('instructor', bob.userId)
      db.close()
      const created = await quai(bob, '/api/classes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'BTS 2', courses: [lesson.course] }) })
      expect(created.status).toBe(201)
      const { id: classId, joinCode } = (await created.json()) as { id: string; joinCode: string }
      expect((await quai(alice, '/api/classes/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: joinCode }) })).status).toBe(201)

      const open = sandboxApi.openPort(sandboxId, 'node1', port)
      expect((await quai(bob, open)).status).toBe(403)
      const share = (shared: boolean, who = alice) =>
        quai(who, sandboxApi.portShare(sandboxId), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: 'node1', port, shared }) })
      expect((await share(true, bob)).status).toBe(403)
      expect((await share(true)).status).toBe(200)
      const list = (await (await quai(alice, sandboxApi.ports(sandboxId))).json()) as { ports: { shared: boolean }[] }
      expect(list.ports[0]?.shared).toBe(true)

      const bobs = await enter(bob, sandboxId)
      expect((await waitForApp(bobs.origin, bobs.cookie)).status).toBe(200)
      const dashboard = await quai(bob, `/teach/classes/${classId}`)
      expect(await dashboard.text()).toContain(open)

      expect((await share(false)).status).toBe(200)
      await new Promise((r) => setTimeout(r, 2100)) // the proxy's access cache
      expect((await portRequest(`${bobs.origin}/cgi-bin/echo`, { headers: { cookie: bobs.cookie } })).status).toBe(403)
      expect((await quai(bob, open)).status).toBe(403)
      // Alice's own access is untouched.
      const alices = await enter(alice, sandboxId)
      expect((await portRequest(`${alices.origin}/cgi-bin/echo`, { headers: { cookie: alices.cookie } })).status).toBe(200)
    })

    it('holds at most QUAI_LIMIT_PROXY_IN_FLIGHT (32) requests in flight per viewer, and frees them as they end', async () => {
      const { alice, sandboxId } = ctx()
      const { origin, cookie } = await enter(alice, sandboxId)
      const answers = await Promise.all(Array.from({ length: 40 }, () => portRequest(`${origin}/cgi-bin/slow`, { headers: { cookie } })))
      const refused = answers.filter((a) => a.status === 429)
      expect(answers.filter((a) => a.status === 200)).toHaveLength(32)
      expect(refused).toHaveLength(8)
      expect(refused[0]!.headers['retry-after']).toBe('2')
      expect(JSON.parse(refused[0]!.body)).toMatchObject({ error: { code: 'rate_limited', limit: 'proxyRequests' } })
      expect((await portRequest(`${origin}/cgi-bin/echo`, { headers: { cookie } })).status).toBe(200)
    })

    it('checks WebSocket upgrades to a port: its own pages only, with access', async () => {
      const { alice, sandboxId } = ctx()
      const { origin, cookie } = await enter(alice, sandboxId)
      const status = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(`${origin.replace(/^http/, 'ws').replace(/\/\/[^:]+/, '//127.0.0.1')}/ws`, { headers: { host: new URL(origin).host, ...headers } })
          ws.once('open', () => {
            ws.close()
            resolve(101)
          })
          ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
          ws.once('error', reject)
        })
      expect(await status({ origin })).toBe(401)
      expect(await status({ origin: ctx().server.url, cookie })).toBe(403)
      expect(await status({ origin: 'http://evil.example', cookie })).toBe(403)
      // With access and its own origin the upgrade reaches the app (busybox httpd does not speak WebSocket).
      expect(await status({ origin, cookie })).not.toBe(403)
    })
  })
}
