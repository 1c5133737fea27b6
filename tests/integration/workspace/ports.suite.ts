import { beforeAll, describe, expect, it } from 'vitest'
import { portProxyPath, sandboxApi } from '../../../lib/workspace/api'
import { lesson, TerminalProbe, terminalUrl, tryUpgrade, type Account } from './support'
import type { WorkspaceContext } from './terminal.suite'

// The learner's app: busybox httpd in the sandbox's own daemon, published with -p, with a CGI
// that shows what it received and tries to set Quai's session cookie.
const cgi = [
  '#!/bin/sh',
  "printf 'Content-Type: text/plain\\r\\n'",
  "printf 'Set-Cookie: better-auth.session_token=stolen; Path=/\\r\\n'",
  "printf 'Set-Cookie: app=1; Path=/; Domain=evil.example\\r\\n\\r\\n'",
  'echo "URI=$REQUEST_URI"',
  'echo "COOKIE=$HTTP_COOKIE"',
  'echo "PREFIX=$HTTP_X_FORWARDED_PREFIX"',
  '',
].join('\n')
const port = 8080

export function portsSuite(ctx: () => WorkspaceContext) {
  const get = (account: Account | null, path: string, headers: Record<string, string> = {}) =>
    fetch(`${ctx().server.url}${path}`, { redirect: 'manual', headers: { ...(account ? { cookie: account.cookie } : {}), ...headers } })

  describe('port proxy', () => {
    beforeAll(async () => {
      const { server, alice, sandboxId } = ctx()
      const save = await fetch(`${server.url}${sandboxApi.fileContent(sandboxId)}`, {
        method: 'PUT',
        headers: { cookie: alice.cookie, origin: server.url, 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'www/cgi-bin/echo', content: cgi }),
      })
      expect(save.status).toBe(200)
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      const out = await term.run(`chmod +x www/cgi-bin/echo && docker run -d --name web -p ${port}:8080 -v "$PWD/www:/www" busybox httpd -f -p 8080 -h /www`, 60_000)
      expect(out).toMatch(/[0-9a-f]{64}/)
      term.close()
    }, 90_000)

    it('lists published ports and proxies to them for the owner, without Quai cookies either way', async () => {
      const { alice, sandboxId } = ctx()
      const list = await get(alice, sandboxApi.ports(sandboxId))
      expect(list.status).toBe(200)
      const { ports } = (await list.json()) as { ports: { port: number; url: string; node: string; container: string }[] }
      expect(ports).toEqual([expect.objectContaining({ node: 'node1', port, container: 'web', url: portProxyPath(sandboxId, 'node1', port) })])

      const prefix = portProxyPath(sandboxId, 'node1', port)
      let answer = await get(alice, `${prefix}cgi-bin/echo?x=1`, { cookie: `${alice.cookie}; QUAI_LOCALE=fr; app=kept` })
      // The container may need a moment to listen.
      for (let i = 0; i < 20 && answer.status === 502; i++) {
        await new Promise((r) => setTimeout(r, 250))
        answer = await get(alice, `${prefix}cgi-bin/echo?x=1`, { cookie: `${alice.cookie}; QUAI_LOCALE=fr; app=kept` })
      }
      expect(answer.status).toBe(200)
      const text = await answer.text()
      expect(text).toContain('URI=/cgi-bin/echo?x=1')
      expect(text).toContain('COOKIE=app=kept')
      expect(text).not.toContain('better-auth')
      expect(text).not.toContain('QUAI_LOCALE')
      expect(text).toContain(`PREFIX=${prefix.replace(/\/$/, '')}`)
      const cookies = answer.headers.getSetCookie()
      expect(cookies.some((c) => c.startsWith('better-auth'))).toBe(false)
      expect(cookies).toEqual([`app=1; Path=${prefix}`])
    })

    it('refuses no session, another user, bad and unpublished ports with clear messages', async () => {
      const { alice, bob, carol, sandboxId, endedSandboxId } = ctx()
      const ok = portProxyPath(sandboxId, 'node1', port)
      const cases: [string, Account | null, string, number, RegExp][] = [
        ['no session', null, ok, 401, /sign in/],
        ["bob on alice's ports", bob, ok, 403, /someone else/],
        ['port 0', alice, `/sandboxes/${sandboxId}/ports/node1/0/`, 400, /1 to 65535/],
        ['port 70000', alice, `/sandboxes/${sandboxId}/ports/node1/70000/`, 400, /1 to 65535/],
        ['not a number', alice, `/sandboxes/${sandboxId}/ports/node1/http/`, 400, /not a port/],
        ['unpublished port', alice, `/sandboxes/${sandboxId}/ports/node1/9090/`, 404, /not published/],
        ['unknown node', alice, `/sandboxes/${sandboxId}/ports/node7/${port}/`, 404, /no node/],
        ['an ended sandbox', carol, `/sandboxes/${endedSandboxId}/ports/node1/${port}/`, 409, /not running/],
        ['unknown sandbox', alice, `/sandboxes/sbxnope/ports/node1/${port}/`, 404, /does not exist/],
      ]
      for (const [label, who, path, status, message] of cases) {
        const answer = await get(who, path)
        expect(answer.status, label).toBe(status)
        expect(await answer.text(), label).toMatch(message)
      }
      expect((await get(bob, sandboxApi.ports(sandboxId))).status).toBe(403)
      expect((await get(null, sandboxApi.ports(sandboxId))).status).toBe(401)
    })

    it('checks WebSocket upgrades to a port the same way', async () => {
      const { server, alice, bob, sandboxId } = ctx()
      const url = `${server.url.replace(/^http/, 'ws')}${portProxyPath(sandboxId, 'node1', port)}ws`
      const status = async (headers: Record<string, string>) => {
        const result = await tryUpgrade(url, headers)
        if ('ws' in result) {
          result.ws.close()
          return 101
        }
        return result.status
      }
      expect(await status({ origin: server.url })).toBe(401)
      expect(await status({ origin: server.url, cookie: bob.cookie })).toBe(403)
      expect(await status({ origin: 'http://evil.example', cookie: alice.cookie })).toBe(403)
    })
  })
}
