import { describe, expect, it } from 'vitest'
import { portProxyPath, sandboxApi } from '../../../lib/workspace/api'
import { tryUpgrade, type Account } from './support'
import type { WorkspaceContext } from './terminal.suite'

export type PortsContext = WorkspaceContext & { webSandboxId: string; webPort: number }

export function portsSuite(ctx: () => PortsContext) {
  const get = (account: Account | null, path: string, headers: Record<string, string> = {}) =>
    fetch(`${ctx().server.url}${path}`, { redirect: 'manual', headers: { ...(account ? { cookie: account.cookie } : {}), ...headers } })

  describe('port proxy', () => {
    it('lists published ports and proxies to them for the owner, without Quai cookies either way', async () => {
      const { alice, webSandboxId, webPort } = ctx()
      const list = await get(alice, sandboxApi.ports(webSandboxId))
      expect(list.status).toBe(200)
      const { ports } = (await list.json()) as { ports: { port: number; url: string; node: string }[] }
      const mine = ports.find((p) => p.port === webPort)
      expect(mine).toMatchObject({ node: 'node1', url: portProxyPath(webSandboxId, 'node1', webPort) })

      const prefix = portProxyPath(webSandboxId, 'node1', webPort)
      const answer = await get(alice, `${prefix}hello/world?x=1`, { cookie: `${alice.cookie}; QUAI_LOCALE=fr; app=kept` })
      expect(answer.status).toBe(200)
      const text = await answer.text()
      expect(text).toContain('PATH=/hello/world?x=1')
      expect(text).toContain('app=kept')
      expect(text).not.toContain('better-auth')
      expect(text).not.toContain('QUAI_LOCALE')
      expect(text.toLowerCase()).toContain(`x-forwarded-prefix: ${prefix.replace(/\/$/, '')}`.toLowerCase())
      const cookies = answer.headers.getSetCookie()
      expect(cookies.some((c) => c.startsWith('better-auth'))).toBe(false)
      expect(cookies).toEqual([`app=1; Path=${prefix}`])

      const redirect = await get(alice, `${prefix}redirect`)
      expect(redirect.status).toBe(302)
      expect(redirect.headers.get('location')).toBe(`${prefix}login`)
    })

    it('refuses no session, another user, bad and unpublished ports with clear messages', async () => {
      const { alice, bob, webSandboxId, webPort, sandboxId } = ctx()
      const ok = portProxyPath(webSandboxId, 'node1', webPort)
      const cases: [string, Account | null, string, number, RegExp][] = [
        ['no session', null, ok, 401, /sign in/],
        ["bob on alice's ports", bob, ok, 403, /someone else/],
        ['port 0', alice, `/sandboxes/${webSandboxId}/ports/node1/0/`, 400, /1 to 65535/],
        ['port 70000', alice, `/sandboxes/${webSandboxId}/ports/node1/70000/`, 400, /1 to 65535/],
        ['not a number', alice, `/sandboxes/${webSandboxId}/ports/node1/http/`, 400, /not a port/],
        ['unpublished port', alice, `/sandboxes/${webSandboxId}/ports/node1/${webPort === 65000 ? 65001 : 65000}/`, 404, /not published/],
        ['unknown node', alice, `/sandboxes/${webSandboxId}/ports/node7/${webPort}/`, 404, /no node/],
        ['a sandbox without published ports', alice, `/sandboxes/${sandboxId}/ports/node1/${webPort}/`, 404, /not published/],
        ['unknown sandbox', alice, `/sandboxes/sbxnope/ports/node1/${webPort}/`, 404, /does not exist/],
      ]
      for (const [label, who, path, status, message] of cases) {
        const answer = await get(who, path)
        expect(answer.status, label).toBe(status)
        expect(await answer.text(), label).toMatch(message)
      }
      expect((await get(bob, sandboxApi.ports(webSandboxId))).status).toBe(403)
      expect((await get(null, sandboxApi.ports(webSandboxId))).status).toBe(401)
    })

    it('checks WebSocket upgrades to a port the same way', async () => {
      const { server, alice, bob, webSandboxId, webPort } = ctx()
      const url = `${server.url.replace(/^http/, 'ws')}${portProxyPath(webSandboxId, 'node1', webPort)}ws`
      const refused = async (headers: Record<string, string>) => {
        const result = await tryUpgrade(url, headers)
        if ('ws' in result) {
          result.ws.close()
          return 101
        }
        return result.status
      }
      expect(await refused({ origin: server.url })).toBe(401)
      expect(await refused({ origin: server.url, cookie: bob.cookie })).toBe(403)
      expect(await refused({ origin: 'http://evil.example', cookie: alice.cookie })).toBe(403)
    })
  })
}
