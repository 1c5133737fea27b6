// "Stop my processes" tells the node's daemons from the learner's by identity, not by name, on
// a real sandbox: a learner process named like a daemon (a copy of sleep at /tmp/dockerd,
// `exec -a dockerd sleep`, the real containerd binary started by the learner, orphaned) is
// killed with the rest; the node's own dockerd and containerd keep running and Docker answers.
import fs from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { hostEngine } from '../../../lib/docker/client.server'
import { inspectContainer } from '../../../lib/docker/engine.server'
import { listSandboxProcesses, processInfo } from '../../../lib/sandbox/host.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { killSandboxProcesses } from '../../../lib/sandbox/process-limit.server'
import { openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { cleanUpNamespace, createUser, withTestNamespace } from './support'

withTestNamespace('procid')
// Whatever happens, the processes started here go with the sandbox.
afterAll(async () => {
  await cleanUpNamespace()
})

type Proc = { pid: number; comm: string; exe: string }
function sandboxProcesses(sandboxId: string): Proc[] {
  return listSandboxProcesses(sandboxConfig().cgroupParent, sandboxId).flatMap((pid) => {
    const info = processInfo(pid)
    let comm = ''
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
    } catch {
      return []
    }
    return info ? [{ pid, comm, exe: info.exe }] : []
  })
}

describe.sequential('killing the learner processes', () => {
  it('kills processes named like the daemons and spares the node\'s own', async () => {
    await createUser('pia')
    const view = await openSandbox('pia')
    // Look-alikes of the daemons, as a learner would start them.
    const lookAlikes = [
      'cp /bin/sleep /tmp/dockerd',
      'nohup /tmp/dockerd 1000 >/dev/null 2>&1 &',
      "nohup bash -c 'exec -a dockerd sleep 1000' >/dev/null 2>&1 &",
      "nohup bash -c 'exec -a containerd sleep 1000' >/dev/null 2>&1 &",
      // The real binary, orphaned onto the node's init like the daemons' shims.
      'setsid containerd --address /tmp/c.sock --root /tmp/c-root --state /tmp/c-state </dev/null >/dev/null 2>&1 &',
      'sleep 0.5',
    ]
    const start = await execInNode(view.id, 'node1', ['bash', '-c', lookAlikes.join('\n')])
    expect(start, start.stderr).toMatchObject({ exitCode: 0 })
    const db = await getDb()
    const node = await db.sandboxNode.findFirst({ where: { sandboxId: view.id }, select: { containerId: true } })
    expect((await inspectContainer(hostEngine(), node!.containerId!))?.running).toBe(true)

    const before = sandboxProcesses(view.id)
    const daemons = before.filter((p) => p.exe === '/usr/sbin/dockerd' || p.exe === '/usr/bin/containerd')
    const impostors = before.filter((p) => ['dockerd', 'containerd'].includes(p.comm) && !daemons.some((d) => d.pid === p.pid))
    // The node's dockerd and containerd, and the learner's real containerd.
    expect(daemons.length).toBe(3)
    // /tmp/dockerd, exec -a dockerd, exec -a containerd: comm says dockerd/containerd or sleep, never what the name-based kill spared.
    expect(before.filter((p) => p.exe === '/tmp/dockerd')).toHaveLength(1)
    expect(impostors.length + before.filter((p) => p.exe.endsWith('/sleep') && p.comm !== 'sleep').length).toBeGreaterThanOrEqual(1)

    const { killed } = await killSandboxProcesses('pia', view.id)
    expect(killed).toBeGreaterThanOrEqual(4)

    const after = sandboxProcesses(view.id)
    // Nothing of the learner's named like a daemon is left: only the node's own dockerd and containerd.
    expect(after.filter((p) => p.exe === '/tmp/dockerd' || p.exe.endsWith('/sleep'))).toEqual([])
    const left = after.filter((p) => p.exe === '/usr/sbin/dockerd' || p.exe === '/usr/bin/containerd')
    expect(left).toHaveLength(2)
    expect(after.filter((p) => ['dockerd', 'containerd'].includes(p.comm)).map((p) => p.pid).sort()).toEqual(left.map((p) => p.pid).sort())

    // The node and its Docker kept running.
    const docker = await execInNode(view.id, 'node1', ['docker', 'info', '--format', '{{.ServerVersion}}'])
    expect(docker.exitCode).toBe(0)
    expect(docker.stdout).toMatch(/^\d+\.\d+/)
    expect((await db.sandbox.findUnique({ where: { id: view.id }, select: { status: true } }))?.status).toBe('running')
  })
})
