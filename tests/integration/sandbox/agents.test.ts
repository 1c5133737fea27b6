// quai-web placing sandboxes on two real quai-agent processes, each on a namespace of its own
// ("two hosts" on this one): one on a unix socket, one on TCP. Placement spreads sandboxes over
// both; a draining agent gets none and keeps its own; an agent killed with SIGKILL is lost after
// the configured time, its learners' sandboxes end with host_lost, and their next open lands on
// the other agent. Needs root, Docker and `npm run images:build`.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { parseAgentKey } from '../../../lib/sandbox/agent/signing'
import { addAgent, listAgents, parseCapacity, setDraining } from '../../../lib/sandbox/agents.server'
import { AgentsPlacement } from '../../../lib/sandbox/agents-placement.server'
import { sandboxConfig } from '../../../lib/sandbox/config.server'
import { LocalPlacement } from '../../../lib/sandbox/local-placement.server'
import { openExecStream } from '../../../lib/docker/exec-stream.server'
import { listImageTags } from '../../../lib/docker/reads.server'
import { execInNode, innerDocker, nodeExecTarget } from '../../../lib/sandbox/node-access.server'
import { endSandboxesWithDeadNodes, heartbeatSandboxAgents, reapExpiredSandboxes, reconcileSandboxes } from '../../../lib/sandbox/runtime.server'
import { moveKeptDisks } from '../../../lib/sandbox/kept-move.server'
import { endSandbox, getOwnedSandbox, openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { sandboxErrorMessage } from '../../../lib/sandbox/types'
import { namespaceConfig, startTestAgent, writeTestKeyFile, type TestAgent } from '../../../scripts/split/agent-process'
import { cleanUpNamespace, createUser, setConfig, until, withTestNamespace } from './support'

withTestNamespace('agents')
const namespaceB = `quai-it-agb-${process.pid}`.slice(0, 30)

const agentOf = async (sandboxId: string) => (await (await getDb()).sandbox.findUniqueOrThrow({ where: { id: sandboxId }, select: { agentName: true } })).agentName

describe.sequential('sandboxes placed across two quai-agents', () => {
  let alpha: TestAgent
  let beta: TestAgent | undefined
  let keyFile = ''
  let placement: AgentsPlacement
  const opened: Record<string, string> = {}

  beforeAll(async () => {
    for (const u of ['ana', 'ben', 'cid', 'dan', 'eve', 'fay', 'gus', 'hal', 'ida', 'jo', 'kay']) await createUser(u)
    keyFile = writeTestKeyFile()
    ;[alpha, beta] = await Promise.all([
      startTestAgent({ name: 'alpha', keyFile }),
      startTestAgent({ name: 'beta', keyFile, namespace: namespaceB, tcp: true }),
    ])
    await addAgent('alpha', alpha.address)
    await addAgent('beta', beta.address)
    placement = new AgentsPlacement(sandboxConfig(), parseAgentKey(fs.readFileSync(keyFile, 'utf8'), keyFile))
    setSandboxPlacementForTests(placement)
  }, 90_000)

  afterAll(async () => {
    await cleanUpNamespace()
    await alpha?.stop()
    await beta?.stop()
    // What the killed agent left: removed through this host's engine, as its namespace's placement.
    const leftB = new LocalPlacement(namespaceConfig(namespaceB))
    for (const id of await leftB.listPlaced().catch(() => [] as string[])) await leftB.destroy(id).catch(() => undefined)
    const b = namespaceConfig(namespaceB)
    for (const dir of [b.stateDir, b.runDir, b.keptDir]) fs.rmSync(dir, { recursive: true, force: true })
    for (const c of fs.readdirSync('/sys/fs/cgroup')) {
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', c, b.cgroupParent))
      } catch {
        // not there, or a symlinked hierarchy
      }
    }
    fs.rmSync(path.dirname(keyFile), { recursive: true, force: true })
    setSandboxPlacementForTests(null)
  }, 120_000)

  it('hears both agents (one on a unix socket, one on TCP) and spreads new sandboxes over them', async () => {
    const beat = await heartbeatSandboxAgents()
    expect(beat?.seen.sort()).toEqual(['alpha', 'beta'])
    expect((await listAgents()).every((a) => a.capacity && a.lastSeenAt)).toBe(true)

    for (const u of ['ana', 'ben']) opened[u] = (await openSandbox(u, { lessonKey: 'docker/premiers-pas' })).id
    const holders = [await agentOf(opened.ana!), await agentOf(opened.ben!)]
    expect(holders.sort()).toEqual(['alpha', 'beta'])

    // Every later call goes to the agent that holds the sandbox: each runs Docker in its own.
    for (const u of ['ana', 'ben']) {
      const hi = await execInNode(opened[u]!, 'node1', ['sh', '-c', 'echo "on $(hostname)"'])
      expect(hi.exitCode).toBe(0)
    }
    // The Docker passthrough over TCP too: the inner daemon (checks) and an exec stream (terminal).
    const onBeta = (await agentOf(opened.ana!)) === 'beta' ? opened.ana! : opened.ben!
    expect(Array.isArray(await listImageTags(await innerDocker(onBeta, 'node1')))).toBe(true)
    const target = await nodeExecTarget(onBeta, 'node1')
    const shell = await openExecStream(target, { cmd: target.command(['sh', '-c', 'echo "answer=$((6*7))"']) })
    let out = ''
    shell.onOutput((d) => (out += d.toString('utf8')))
    await Promise.race([new Promise<void>((resolve) => shell.onEnd(() => resolve())), new Promise((r) => setTimeout(r, 15_000))])
    expect(out).toContain('answer=42')

    expect((await alpha.placement.listPlaced()).length).toBe(1)
    expect((await beta!.placement.listPlaced()).length).toBe(1)
    expect((await placement.listPlaced()).sort()).toEqual([opened.ana, opened.ben].sort())
    expect(await endSandboxesWithDeadNodes()).toEqual([])
  })

  it('gives a draining agent no new sandbox, and leaves it its running one', async () => {
    await setDraining('alpha', true)
    await heartbeatSandboxAgents()
    const onAlpha = (await agentOf(opened.ana!)) === 'alpha' ? 'ana' : 'ben'
    for (const u of ['cid', 'dan']) {
      opened[u] = (await openSandbox(u, { lessonKey: 'docker/premiers-pas' })).id
      expect(await agentOf(opened[u]!)).toBe('beta')
    }
    expect((await getOwnedSandbox(onAlpha, opened[onAlpha]!))?.status).toBe('running')
    expect((await execInNode(opened[onAlpha]!, 'node1', ['true'])).exitCode).toBe(0)
    // Both draining: no new sandbox anywhere, and the running ones are still reconciled.
    await setDraining('beta', true)
    await expect(openSandbox('eve', { lessonKey: 'docker/premiers-pas' })).rejects.toThrow(/no quai-agent is accepting sandboxes/)
    const r = await reconcileSandboxes()
    expect(r.ended).toEqual([])
    expect(r.adopted.length).toBe(4)
    await setDraining('alpha', false)
    await setDraining('beta', false)
  })

  it('loses an agent killed with SIGKILL after the configured time; its learners start over on the other', async () => {
    const onBeta = Object.entries(opened).filter(([, id]) => id).map(([u]) => u)
    const betaUsers: string[] = []
    for (const u of onBeta) if ((await agentOf(opened[u]!)) === 'beta') betaUsers.push(u)
    expect(betaUsers.length).toBe(3)

    // Heard just now: the clock of QUAI_AGENT_LOST_SECONDS starts here.
    expect((await heartbeatSandboxAgents())?.seen.sort()).toEqual(['alpha', 'beta'])
    const killed = new Promise((r) => beta!.process.once('exit', r))
    beta!.process.kill('SIGKILL')
    await killed
    const lostSeconds = 3
    // Silent, but not for long enough yet: nothing ends.
    const early = await heartbeatSandboxAgents({ lostSeconds })
    expect(early?.silent).toEqual(['beta'])
    expect(early?.lost).toEqual([])
    for (const u of betaUsers) expect((await getOwnedSandbox(u, opened[u]!))?.status).toBe('running')
    // The health tick judges the agents that answer, and leaves the silent one's sandboxes alone.
    expect(await endSandboxesWithDeadNodes().catch(() => [])).toEqual([])

    await new Promise((r) => setTimeout(r, lostSeconds * 1000 + 200))
    const late = await heartbeatSandboxAgents({ lostSeconds })
    expect(late?.lost.map((l) => l.agent)).toEqual(['beta'])
    expect(late?.lost[0]?.sandboxes.sort()).toEqual(betaUsers.map((u) => opened[u]).sort())
    expect((await listAgents()).find((a) => a.name === 'beta')?.lostAt).not.toBeNull()

    for (const u of betaUsers) {
      const view = await getOwnedSandbox(u, opened[u]!)
      expect(view?.status).toBe('ended')
      expect(view?.endReason).toBe('host_lost')
    }
    // What the learner is told, in both languages.
    expect(sandboxErrorMessage('sandbox.host_lost', {}, 'fr')).toMatch(/ne répond plus/)
    expect(sandboxErrorMessage('sandbox.host_lost', {}, 'en')).toMatch(/stopped answering/)

    // One click: the next open is a new sandbox, on the agent that answers.
    const again = await openSandbox(betaUsers[0]!, { lessonKey: 'docker/premiers-pas' })
    expect(again.id).not.toBe(opened[betaUsers[0]!])
    expect(again.status).toBe('running')
    expect(await agentOf(again.id)).toBe('alpha')
    expect((await execInNode(again.id, 'node1', ['true'])).exitCode).toBe(0)

    // Reconcile goes on with the agent that answers.
    const r = await reconcileSandboxes()
    expect(r.ended).toEqual([])
    expect(r.adopted.length).toBe(2)
  })

  it('takes a lost agent back when it answers again, and removes at once what it still held', async () => {
    await beta?.stop()
    beta = await startTestAgent({ name: 'beta', keyFile, namespace: namespaceB, tcp: true })
    await addAgent('beta', beta.address)
    expect((await beta.placement.listPlaced()).length).toBe(3)
    const beat = await heartbeatSandboxAgents()
    expect(beat?.seen.sort()).toEqual(['alpha', 'beta'])
    expect(beat?.back).toEqual(['beta'])
    // What it held is removed, except the disks of lesson sandboxes: kept for their learners.
    expect(beat!.reconciled.removed.length + beat!.reconciled.kept.length).toBe(3)
    expect((await beta.placement.listKept()).length).toBe(beat!.reconciled.kept.length)
    expect((await listAgents()).find((a) => a.name === 'beta')?.lostAt).toBeNull()
    expect(await beta.placement.listPlaced()).toEqual([])
    expect((await reconcileSandboxes()).removed).toEqual([])
    for (const id of Object.values(opened)) await endSandbox(id, 'stopped')
  })

  it('queues each start on its own agent, and places a lesson where the mirror serves its images', async () => {
    setConfig({ startConcurrency: 1 })
    const db = await getDb()
    for (const live of await db.sandbox.findMany({ where: { status: 'running' }, select: { id: true } })) await endSandbox(live.id, 'stopped')
    await heartbeatSandboxAgents()
    // Each agent reports what its lesson registry mirror really serves (read from the registry's API).
    for (const agent of await listAgents()) expect(parseCapacity(agent.capacity)?.mirrorImages).toEqual(expect.arrayContaining(['nginx:latest', 'postgres:17', 'prom/prometheus:latest']))

    // One start slot per host: two learners placed on the two agents start at the same time.
    const opening = []
    for (const u of ['fay', 'gus']) {
      opening.push(openSandbox(u, { lessonKey: 'docker/premiers-pas' }))
      await new Promise((r) => setTimeout(r, 150))
    }
    const [fay, gus] = await Promise.all(opening)
    opened.fay = fay!.id
    opened.gus = gus!.id
    expect([await agentOf(fay!.id), await agentOf(gus!.id)].sort()).toEqual(['alpha', 'beta'])
    const rows = await db.sandbox.findMany({ where: { id: { in: [fay!.id, gus!.id] } }, select: { startedAt: true, readyAt: true }, orderBy: { startedAt: 'asc' } })
    // One queue for both hosts would let the second start only once the first was ready.
    expect(rows[1]!.startedAt!.getTime()).toBeLessThan(rows[0]!.readyAt!.getTime())

    // alpha has far more room, but its mirror no longer serves postgres (its stored heartbeat is
    // edited to say so, as a host that never built it would report): a lesson using postgres and
    // redis goes to beta; a lesson without images still goes to alpha.
    const alphaRow = (await listAgents()).find((a) => a.name === 'alpha')!
    const alphaCapacity = parseCapacity(alphaRow.capacity)!
    const withoutPostgres = {
      ...alphaCapacity,
      memoryFreeMb: alphaCapacity.memoryFreeMb + 100_000,
      diskFreeMb: alphaCapacity.diskFreeMb + 1_000_000,
      mirrorImages: alphaCapacity.mirrorImages!.filter((image) => !image.startsWith('postgres:')),
    }
    await db.sandboxAgent.update({ where: { name: 'alpha' }, data: { capacity: JSON.stringify(withoutPostgres), lastSeenAt: new Date() } })
    await endSandbox(opened.fay, 'stopped')
    await endSandbox(opened.gus, 'stopped')
    opened.hal = (await openSandbox('hal', { lessonKey: 'docker-compose/sante-et-dependances' })).id
    expect(await agentOf(opened.hal)).toBe('beta')
    opened.ida = (await openSandbox('ida', { lessonKey: 'docker/premiers-pas' })).id
    expect(await agentOf(opened.ida)).toBe('alpha')
    for (const u of ['hal', 'ida']) await endSandbox(opened[u]!, 'stopped')
  })

  it('moves a host\'s kept disks to another with the command, and the learner resumes there', async () => {
    const db = await getDb()
    await heartbeatSandboxAgents()
    const view = await openSandbox('jo', { lessonKey: 'docker/images' })
    expect((await execInNode(view.id, 'node1', ['sh', '-c', 'echo moved-work > /root/lab/note.txt'])).exitCode).toBe(0)
    const from = (await agentOf(view.id)) === 'beta' ? 'beta' : 'alpha'
    const to = from === 'alpha' ? 'beta' : 'alpha'
    const holders = { alpha: alpha.placement, beta: beta!.placement }
    await endSandbox(view.id, 'stopped')
    const disk = await db.sandboxDisk.findFirstOrThrow({ where: { sandboxId: view.id } })
    expect([disk.status, disk.agentName]).toEqual(['kept', from])

    const result = await moveKeptDisks(from, to)
    expect(result.failed).toEqual([])
    expect(result.moved.map((m) => m.diskId)).toContain(disk.id)
    expect(await db.sandboxDisk.findUniqueOrThrow({ where: { id: disk.id }, select: { status: true, agentName: true } })).toEqual({ status: 'kept', agentName: to })
    expect((await holders[from].listKept()).map((d) => d.diskId)).not.toContain(disk.id)
    expect((await holders[to].listKept()).map((d) => d.diskId)).toContain(disk.id)

    const again = await openSandbox('jo', { lessonKey: 'docker/images' })
    expect(await agentOf(again.id)).toBe(to)
    expect(again.resumedFrom).toBeTruthy()
    expect((await execInNode(again.id, 'node1', ['cat', '/root/lab/note.txt'])).stdout.trim()).toBe('moved-work')
    await endSandbox(again.id, 'reset')
    // Nothing to move from a host that keeps none; an unknown agent is refused.
    expect((await moveKeptDisks(from, to)).moved).toEqual([])
    await expect(moveKeptDisks(from, 'nowhere')).rejects.toThrow(/no quai-agent named nowhere/)
  })

  it('an agent killed with SIGKILL while it keeps a disk: once it is back, the keep finishes; nothing is lost or left', async () => {
    const db = await getDb()
    await setDraining('alpha', true)
    const view = await openSandbox('kay', { lessonKey: 'docker/images' })
    await setDraining('alpha', false)
    expect(await agentOf(view.id)).toBe('beta')
    expect((await execInNode(view.id, 'node1', ['sh', '-c', 'echo survived > /root/lab/note.txt'])).exitCode).toBe(0)
    // A container that ignores SIGTERM (sleep as PID 1) holds the keep in its 5-second stop,
    // so the kill below lands during the keep however fast the machine is.
    const stubborn = await execInNode(view.id, 'node1', ['docker', 'run', '-d', '--name', 'stubborn', 'busybox', 'sleep', '3600'])
    expect(stubborn.exitCode, stubborn.stderr).toBe(0)

    // The web asks beta to keep the disk; beta dies in the middle of it.
    const ending = endSandbox(view.id, 'stopped').catch(() => undefined)
    await until('the keep to begin', async () => (await db.sandboxDisk.findFirst({ where: { sandboxId: view.id } }))?.status === 'keeping')
    await new Promise((r) => setTimeout(r, 1_500))
    const killed = new Promise((r) => beta!.process.once('exit', r))
    beta!.process.kill('SIGKILL')
    await killed
    await ending
    expect((await db.sandbox.findUniqueOrThrow({ where: { id: view.id } })).status).toBe('stopping')
    const disk = await db.sandboxDisk.findFirstOrThrow({ where: { sandboxId: view.id } })
    expect(disk.status).toBe('keeping')

    beta = await startTestAgent({ name: 'beta', keyFile, namespace: namespaceB, tcp: true })
    await addAgent('beta', beta.address)
    await heartbeatSandboxAgents()
    // The reaper finishes a stop left half-way (a minute later).
    expect((await reapExpiredSandboxes(new Date(Date.now() + 61_000))).retried).toContain(view.id)
    expect(await db.sandboxDisk.findUniqueOrThrow({ where: { id: disk.id }, select: { status: true } })).toEqual({ status: 'kept' })
    expect(await beta.placement.listPlaced()).not.toContain(view.id)
    expect((await beta.placement.listKept()).map((d) => d.diskId)).toContain(disk.id)

    const again = await openSandbox('kay', { lessonKey: 'docker/images' })
    expect((await execInNode(again.id, 'node1', ['cat', '/root/lab/note.txt'])).stdout.trim()).toBe('survived')
    await endSandbox(again.id, 'reset')
  })
})
