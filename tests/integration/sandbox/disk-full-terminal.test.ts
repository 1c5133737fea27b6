// A sandbox whose disk (its own loop-mounted ext4) is really full. `docker run` then prints a
// registry error (it cannot write the layers from the mirror, falls back to Docker Hub, which
// the sandbox cannot reach): the terminal bridge says once, beside the output, that the disk is
// full, and a check's cause rules say the disk is full when they know it is. Not before.
import http from 'node:http'
import type net from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { causeOf } from '../../../lib/checks/causes'
import { openExecStream } from '../../../lib/docker/exec-stream.server'
import { sandboxDiskFull } from '../../../lib/sandbox/disk-full.server'
import { execInNode, nodeExecTarget } from '../../../lib/sandbox/node-access.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { bridgeTerminal } from '../../../lib/terminal/bridge.server'
import { decodeServerMessage, encodeInput, maxFrameBytes } from '../../../lib/terminal/protocol'
import { cleanUpNamespace, createUser, withTestNamespace } from './support'

withTestNamespace('diskterm')
afterAll(async () => {
  await cleanUpNamespace()
})

const message = 'DISK-FULL-LINE'

/** The real bridge on the node's shell, on a bare WebSocket server (tests only: no session check). */
async function terminal(sandboxId: string) {
  const target = await nodeExecTarget(sandboxId, 'node1')
  const server = http.createServer()
  const wss = new WebSocketServer({ server, maxPayload: maxFrameBytes, perMessageDeflate: false })
  wss.on('connection', (ws) => {
    void bridgeTerminal(ws, {
      session: `disk.${Date.now()}`,
      node: 'node1',
      cols: 200,
      rows: 40,
      env: [],
      openExec: (cmd, env) => openExecStream({ docker: target.docker, containerId: target.containerId }, { cmd: target.command(cmd), env }),
      diskFull: () => sandboxDiskFull(sandboxId),
      diskFullMessage: message,
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`)
  ws.binaryType = 'arraybuffer'
  let output = ''
  const notices: string[] = []
  ws.on('message', (data: ArrayBuffer) => {
    const decoded = decodeServerMessage(data)
    if (!decoded.ok) return
    if (decoded.message.type === 'output') output += Buffer.from(decoded.message.data).toString('utf8')
    if (decoded.message.type === 'error' && decoded.message.error.code === 'disk-full') notices.push(decoded.message.error.message)
  })
  await new Promise((r) => ws.once('open', r))
  const until = async (what: string, ok: () => boolean, ms = 60_000) => {
    const end = Date.now() + ms
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output: ${output.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    type: (line: string) => ws.send(encodeInput(new TextEncoder().encode(`${line}\n`))),
    output: () => output,
    notices,
    until,
    close: async () => {
      ws.close()
      wss.close()
      await new Promise((r) => server.close(r))
    },
  }
}

describe.sequential('a sandbox whose disk is full', () => {
  it('the terminal says so once when docker run fails, and the cause rules say the disk is full', async () => {
    await createUser('dan')
    const view = await openSandbox('dan')
    const term = await terminal(view.id)
    try {
      // Not full: the same registry error (an image the mirror does not have) says nothing of the disk.
      term.type('docker pull quai-no-such-image-anywhere:1; echo DONE-1')
      await term.until('first pull', () => /DONE-1\s*$/m.test(term.output().replace(/echo DONE-1/g, '')))
      await new Promise((r) => setTimeout(r, 500))
      expect(term.notices).toEqual([])

      // Filled to the last block (dd stops at ENOSPC): on btrfs, fallocate alone cannot take all that df says is free.
      const fill = await execInNode(view.id, 'node1', ['bash', '-c', 'cd /root && avail=$(df --output=avail -B1 . | tail -1); fallocate -l $((avail * 9 / 10)) fill; dd if=/dev/zero of=fill-rest bs=1M status=none 2>/dev/null; sync; df -B1 --output=avail . | tail -1'])
      expect(fill.stdout.trim()).toMatch(/^\d+$/)
      expect(await sandboxDiskFull(view.id)).toBe(true)

      const run = await execInNode(view.id, 'node1', ['bash', '-c', 'docker run --rm busybox true 2>&1'], { timeoutMs: 60_000 })
      expect(run.exitCode).not.toBe(0)
      // A check's cause: the disk, when the check knows it is full, whatever docker run printed
      // (on ext4 a registry error that names something else; on btrfs containerd's ENOSPC).
      expect(causeOf(run.stdout, { command: 'docker run --rm busybox true', exitCode: run.exitCode ?? 1, diskFull: true })).toEqual({ key: 'cause.diskFull', params: {} })
      // Without knowing it, only a text that names the full disk says so.
      const namesDisk = /no space left/i.test(run.stdout)
      expect(causeOf(run.stdout, { command: 'docker run --rm busybox true', exitCode: run.exitCode ?? 1 })?.key === 'cause.diskFull').toBe(namesDisk)
      const write = await execInNode(view.id, 'node1', ['bash', '-c', 'head -c 4M /dev/zero > /root/more'])
      expect(causeOf(write.stderr)).toEqual({ key: 'cause.diskFull', params: {} })

      // In the terminal: docker run's error, then Quai's line, once.
      term.type('docker run --rm busybox true; echo DONE-2')
      await term.until('the disk-full notice', () => term.notices.length > 0)
      expect(term.notices).toEqual([message])
      term.type('docker run --rm busybox true; echo DONE-3')
      await term.until('second run', () => /DONE-3\s*$/m.test(term.output().replace(/echo DONE-3/g, '')))
      await new Promise((r) => setTimeout(r, 500))
      expect(term.notices).toEqual([message])
    } finally {
      await term.close()
      await execInNode(view.id, 'node1', ['rm', '-f', '/root/fill', '/root/fill-rest', '/root/more']).catch(() => undefined)
    }
  })
})
