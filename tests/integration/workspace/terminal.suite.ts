import { describe, expect, it } from 'vitest'
import { CloseCode, encodeAck, encodeResize, flowHighWater, maxFrameBytes, MessageType } from '../../../lib/terminal/protocol'
import { lesson, startBareBridge, TerminalProbe, terminalUrl, tryUpgrade, type Account, type TestServer } from './support'

export type WorkspaceContext = {
  server: TestServer
  alice: Account
  bob: Account
  carol: Account
  /** Alice's running sandbox, and Carol's, which she stopped. */
  sandboxId: string
  endedSandboxId: string
}

export function terminalSuite(ctx: () => WorkspaceContext) {
  describe('terminal over a real WebSocket', () => {
    it('runs a command in the node through the protocol', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '1' }), alice, server.url)
      expect(term.ready).toMatchObject({ node: 'node1', session: `${lesson.lesson}.1` })
      expect(await term.run('echo "six fois sept: $((6*7))"')).toContain('six fois sept: 42')
      // The shell starts in the lesson's folder, as the sandbox's root, with its own daemon.
      expect(await term.run('pwd; id -u')).toMatch(new RegExp(`/root/lab/${lesson.lesson}\\s+0`))
      expect(await term.run('ls')).toContain('compose.yaml')
      term.resize(132, 43)
      expect(await term.run('stty size')).toContain('43 132')
      term.close()
    })

    it('refuses before the upgrade: no session, another user, wrong origin, unknown or ended sandbox, bad query', async () => {
      const { server, alice, bob, carol, sandboxId, endedSandboxId } = ctx()
      const url = terminalUrl(server, sandboxId)
      const cases: [string, string, Record<string, string>, number][] = [
        ['no session', url, { origin: server.url }, 401],
        ["bob on alice's sandbox", url, { origin: server.url, cookie: bob.cookie }, 403],
        ['another origin', url, { origin: 'http://evil.example', cookie: alice.cookie }, 403],
        ['no origin', url, { cookie: alice.cookie }, 403],
        ['unknown sandbox', terminalUrl(server, 'sbxdoesnotexist'), { origin: server.url, cookie: alice.cookie }, 404],
        ['ended sandbox', terminalUrl(server, endedSandboxId), { origin: server.url, cookie: carol.cookie }, 409],
        ['unknown node', terminalUrl(server, sandboxId, { node: 'node9' }), { origin: server.url, cookie: alice.cookie }, 404],
        ['odd node name', terminalUrl(server, sandboxId, { node: '../etc' }), { origin: server.url, cookie: alice.cookie }, 400],
        ['absurd initial size', terminalUrl(server, sandboxId, { cols: '99999' }), { origin: server.url, cookie: alice.cookie }, 400],
        ['unknown lesson', terminalUrl(server, sandboxId, { lesson: 'nope' }), { origin: server.url, cookie: alice.cookie }, 404],
      ]
      for (const [label, target, headers, status] of cases) {
        const result = await tryUpgrade(target, headers)
        if ('ws' in result) {
          result.ws.close()
          throw new Error(`${label}: the upgrade was accepted`)
        }
        expect(result.status, label).toBe(status)
        expect(result.body.length, label).toBeGreaterThan(0)
      }
    })

    it('answers garbage, text frames and absurd resizes with clear errors and keeps the shell', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '2' }), alice, server.url)
      term.ws.send(Buffer.from([0x7f, 1, 2, 3]))
      term.ws.send(Buffer.from([MessageType.resize, 1]))
      term.ws.send(encodeResize(10_000, 10_000))
      term.ws.send(encodeResize(0, 0))
      term.ws.send('{"type":"input","data":"rm -rf /"}')
      term.ws.send(Buffer.from([MessageType.output, 65]))
      await term.until(() => term.errors.length >= 6, 5000, 'six error frames')
      expect(term.errors.map((e) => e.code)).toEqual(['bad-type', 'bad-frame', 'bad-resize', 'bad-resize', 'text-frame', 'bad-type'])
      expect(term.errors[2]?.message).toMatch(/10000x10000 refused/)
      expect(await term.run('echo still-here')).toContain('still-here')
      expect(await term.run('stty size')).not.toContain('10000')
      term.close()
    })

    it('closes an oversized frame with 1009 and the server keeps serving', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '2' }), alice, server.url)
      const huge = Buffer.alloc(maxFrameBytes + 1024, 0x61)
      huge[0] = MessageType.input
      term.ws.send(huge)
      await term.until(() => term.closeCode !== null, 5000, 'close')
      expect(term.closeCode).toBe(CloseCode.tooBig)
      expect(server.alive()).toBe(true)
      const again = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '2' }), alice, server.url)
      expect(await again.run('echo after-the-big-one')).toContain('after-the-big-one')
      again.close()
    })

    it('closes after a flood of invalid frames (1008) without crashing', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      for (let i = 0; i < 50; i++) term.ws.send(Buffer.from([0x00, i]))
      await term.until(() => term.closeCode !== null, 5000, 'close')
      expect(term.closeCode).toBe(CloseCode.policy)
      expect(server.alive()).toBe(true)
    })

    it('keeps server memory bounded under `yes` when the browser does not acknowledge', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      await term.run('true')
      const before = server.rssKb()
      term.ack = false
      term.type('yes quai-flow-control-test\r')
      await new Promise((r) => setTimeout(r, 4000))
      const stuck = term.received
      await new Promise((r) => setTimeout(r, 2000))
      // Output stops at the high-water mark plus the chunk in flight, and stays there.
      expect(term.received).toBeLessThan(flowHighWater + 3 * 64 * 1024)
      expect(term.received - stuck).toBeLessThan(64 * 1024)
      expect(server.rssKb() - before).toBeLessThan(64 * 1024)
      // Acknowledging what was received lets it flow again; Ctrl+C stops it.
      term.ack = true
      term.ws.send(encodeAck(term.received - term.acked))
      term.acked = term.received
      await term.until(() => term.received > stuck + 1024 * 1024, 20_000, 'a megabyte more after acking')
      term.type('\x03')
      expect(await term.run('echo stopped', 30_000)).toContain('stopped')
      term.close()
    })

    it('closes with 1002 when the browser acknowledges more than it was sent (flow control cannot be lifted by a forged ack)', async () => {
      const { server, alice, sandboxId } = ctx()
      const term = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      await term.run('true')
      term.ws.send(encodeAck(0xffffffff))
      await term.until(() => term.closeCode !== null, 5000, 'close')
      expect(term.closeCode).toBe(CloseCode.protocolError)
      expect(server.alive()).toBe(true)
    })

    it('returns to the same shell after the connection is cut', async () => {
      const { server, alice, sandboxId } = ctx()
      const url = terminalUrl(server, sandboxId, { session: '0' })
      const first = await TerminalProbe.open(url, alice, server.url)
      await first.run('export QUAI_SECRET_WORD=quai-$((1000+337)); cd /tmp')
      const ready = first.ready
      if (!ready) throw new Error('no ready')
      // A network cut: the socket dies without a close handshake.
      first.ws.terminate()
      const resume = `${ready.epoch}:${ready.offset + first.received}`
      const second = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '0', resume }), alice, server.url)
      expect(second.ready).toMatchObject({ epoch: ready.epoch, resumed: true, offset: ready.offset + first.received })
      expect(await second.run('echo "$QUAI_SECRET_WORD in $PWD"')).toContain('quai-1337 in /tmp')
      second.close()
    })

    it('replays recent output to a fresh view, hands the shell to the newest window, and reports exit', async () => {
      const { server, alice, sandboxId } = ctx()
      const url = terminalUrl(server, sandboxId, { session: '1' })
      const first = await TerminalProbe.open(url, alice, server.url)
      await first.run('echo replay-me')
      const second = await TerminalProbe.open(url, alice, server.url)
      await second.until(() => second.output.includes('replay-me'), 5000, 'replayed output')
      await first.until(() => first.closeCode !== null, 5000, 'first window closed')
      expect(first.closeCode).toBe(CloseCode.takenOver)
      second.type('exit 3\r')
      await second.until(() => second.closeCode !== null, 10_000, 'close after exit')
      expect(second.exitCode).toBe(3)
      expect(second.closeCode).toBe(CloseCode.shellExited)
      // The next connection starts a new shell.
      const third = await TerminalProbe.open(url, alice, server.url)
      expect(third.ready?.epoch).not.toBe(second.ready?.epoch)
      expect(await third.run('echo new-shell')).toContain('new-shell')
      third.close()
    })

    it('resumes the shell from another server process (its state lives in the node, not in a server)', async () => {
      const { server, alice, sandboxId } = ctx()
      const a = await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '3' }), alice, server.url)
      await a.run('export SHARED=made-through-server-one')
      a.ws.terminate()
      // A second, independent bridge in this test process (nothing shared with the server
      // but the node), attaching the way another Quai instance would.
      const other = await secondInstance(server.databaseUrl, sandboxId)
      try {
        const b = await TerminalProbe.open(`${other.url}?x=1`, alice, server.url)
        expect(b.ready?.session).toBe(`${lesson.lesson}.3`)
        expect(await b.run('echo $SHARED')).toContain('made-through-server-one')
        b.close()
      } finally {
        await other.close()
      }
    })
  })
}

/**
 * A bare bridge (no auth: test-only) standing in for a second Quai server instance: this test
 * process finds the node through lib/sandbox and the shared database, nothing else.
 */
async function secondInstance(databaseUrl: string, sandboxId: string): Promise<{ url: string; close: () => Promise<void> }> {
  process.env.DATABASE_URL = databaseUrl
  ;(globalThis as { quaiDb?: unknown }).quaiDb = undefined
  const { nodeShellTarget } = await import('../../../lib/workspace/workspace-sandbox.server')
  const target = await nodeShellTarget(sandboxId, 'node1')
  const bridge = await startBareBridge(target, { session: () => '3' })
  return { url: bridge.url, close: bridge.close }
}
