import 'server-only'
import { getDb } from '../db/client.server'
import type { DockerDaemon } from '../docker/client.server'
import type { ExecResult } from '../docker/exec.server'
import type { SandboxConfig } from './config.server'
import { AgentClient } from './agent/client.server'
import { chooseAgent } from './agent-choice'
import { agentCandidates, heartbeatAgents, listAgents, type AgentRow, type HeartbeatResult } from './agents.server'
import { learnerCommand, type CreateSandboxSpec, type KeptDiskInfo, type RunningContainers, type ExecInNodeOptions, type NodeContainerState, type NodeDeath, type NodeHealth, type NodeRef, type PlacedSandbox, type PortRoute, type SandboxPlacement } from './placement'
import { RemotePlacement } from './remote-placement.server'
import { KeptHostUnavailableError, SandboxCapacityError, SandboxError, SandboxUnavailableError } from './types'

// The placement of a quai-web with registered agents (SandboxAgent rows, lib/sandbox/agents.server.ts).
// Sandbox.placement holds this placement's name for all of them, so the start queue, the warm
// pool and reaping see one scope; Sandbox.agentName says which agent holds each. A new sandbox
// goes where chooseAgent says; every later call goes to the agent that holds it.

export const agentsPlacementName = 'agents'

/** One agent, and the placement that carries calls to it. */
export type AgentPart = { agent: AgentRow; placement: RemotePlacement }

export class AgentsPlacement implements SandboxPlacement {
  readonly name = agentsPlacementName
  private readonly remotes = new Map<string, { address: string; placement: RemotePlacement; client: AgentClient }>()
  /** Which agent holds a sandbox: filled on create and whenever a row is read (state.server.ts loadRow). */
  private readonly holders = new Map<string, string>()
  private readonly preparedUntil = new Map<string, number>()
  private readonly agentRows = new Map<string, { row: AgentRow | null; until: number }>()

  constructor(
    private readonly config: SandboxConfig,
    private readonly key: Buffer,
  ) {}

  /** Remember which agent holds a sandbox, and reach it (so the synchronous calls can route). */
  async noteHolder(sandboxId: string, agentName: string | null): Promise<void> {
    if (!agentName) return
    this.holders.set(sandboxId, agentName)
    if (this.remotes.has(agentName)) return
    const agent = await (await getDb()).sandboxAgent.findUnique({ where: { name: agentName } })
    if (agent) this.remote(agent)
  }

  /** The agents that answer and are not lost, each with its placement (for the runtime's per-agent work). */
  async parts(): Promise<AgentPart[]> {
    return (await listAgents()).filter((a) => !a.lostAt).map((agent) => ({ agent, placement: this.remote(agent).placement }))
  }

  /** The client of a registered agent that is not lost (moving kept disks between hosts). */
  async clientOf(agentName: string): Promise<AgentClient> {
    const agent = await (await getDb()).sandboxAgent.findUnique({ where: { name: agentName } })
    if (!agent) throw new SandboxUnavailableError(`no quai-agent named ${agentName}`)
    if (agent.lostAt) throw new KeptHostUnavailableError(agentName)
    return this.remote(agent).client
  }

  heartbeat(options: { now?: Date; lostSeconds?: number } = {}): Promise<HeartbeatResult> {
    return heartbeatAgents((agent) => this.remote(agent).client, options)
  }

  private remote(agent: Pick<AgentRow, 'name' | 'address'>): { placement: RemotePlacement; client: AgentClient } {
    let remote = this.remotes.get(agent.name)
    if (!remote || remote.address !== agent.address) {
      const client = new AgentClient(agent.address, this.key)
      remote = { address: agent.address, client, placement: new RemotePlacement(agentsPlacementName, client) }
      this.remotes.set(agent.name, remote)
    }
    return remote
  }

  /** The placement of the agent that holds the sandbox; null when it was never placed. */
  private async holderOf(sandboxId: string): Promise<RemotePlacement | null> {
    const db = await getDb()
    const name = this.holders.get(sandboxId) ?? (await db.sandbox.findUnique({ where: { id: sandboxId }, select: { agentName: true } }))?.agentName
    if (!name) return null
    this.holders.set(sandboxId, name)
    const agent = await this.agentRow(name)
    if (!agent) throw new SandboxUnavailableError(`the quai-agent ${name} that holds this sandbox is no longer registered`)
    if (agent.lostAt) throw new SandboxError('sandbox.host_lost')
    return this.remote(agent).placement
  }

  /**
   * The agent's row, read at most once a second per agent: a check or a terminal makes several
   * calls on one sandbox in a row, and whether its agent is lost changes only with a heartbeat.
   */
  private async agentRow(name: string): Promise<AgentRow | null> {
    const cached = this.agentRows.get(name)
    if (cached && cached.until > Date.now()) return cached.row
    const row = await (await getDb()).sandboxAgent.findUnique({ where: { name } })
    this.agentRows.set(name, { row, until: Date.now() + 1_000 })
    return row
  }

  private async holder(sandboxId: string): Promise<RemotePlacement> {
    return (await this.holderOf(sandboxId)) ?? fail(sandboxId)
  }

  private holderNow(sandboxId: string): RemotePlacement {
    const name = this.holders.get(sandboxId)
    const remote = name ? this.remotes.get(name) : undefined
    return remote?.placement ?? fail(sandboxId)
  }

  /**
   * Prepares every agent not lost (a draining one too: its running sandboxes keep their host
   * set-up); fails only when none answers. Whether one takes new sandboxes is create's question.
   */
  async prepare(): Promise<void> {
    const agents = (await listAgents()).filter((a) => !a.lostAt)
    if (agents.length === 0) throw new SandboxUnavailableError('no quai-agent is registered, or all are lost (npm run agents -- add, list)')
    const now = Date.now()
    const results = await Promise.allSettled(
      agents.map(async (agent) => {
        if ((this.preparedUntil.get(agent.name) ?? 0) > now) return
        await this.remote(agent).placement.prepare()
        this.preparedUntil.set(agent.name, now + 60_000)
      }),
    )
    const failure = results.find((r) => r.status === 'rejected')
    if (failure && results.every((r) => r.status === 'rejected')) throw failure.reason
  }

  /** Choose the agent (chooseAgent) and record it on the row, before the sandbox waits in that agent's start queue. */
  async assignHost(spec: CreateSandboxSpec): Promise<string> {
    const db = await getDb()
    // A kept disk is resumed where it is kept (moving it is an operator's command: docs/persistence.md).
    if (spec.resume?.host) {
      const keeper = await db.sandboxAgent.findUnique({ where: { name: spec.resume.host } })
      if (!keeper || keeper.lostAt) throw new KeptHostUnavailableError(spec.resume.host)
      await db.sandbox.updateMany({ where: { id: spec.sandboxId }, data: { agentName: keeper.name } })
      this.holders.set(spec.sandboxId, keeper.name)
      return keeper.name
    }
    const needs = {
      memoryMb: spec.limits.memoryMb * spec.nodes.length,
      diskMb: spec.limits.diskMb * spec.nodes.length,
      images: [this.config.image],
      lessonImages: spec.lessonImages ?? [],
    }
    const choice = chooseAgent(await agentCandidates(db), needs)
    if (!choice.ok) {
      // Every agent's memory or disk is given out: the learner's "all sandboxes are in use, try again".
      if (choice.reason === 'full') throw new SandboxCapacityError(5)
      throw new SandboxUnavailableError(choice.reason === 'missing_images' ? `no quai-agent has the image ${this.config.image} (npm run images:build on the agents' hosts)` : 'no quai-agent is accepting sandboxes')
    }
    if (choice.lessonImagesMissing?.length) {
      console.warn(`sandbox ${spec.sandboxId} is on quai-agent ${choice.agent}, whose lesson mirror lacks ${choice.lessonImagesMissing.join(', ')} (no agent with room serves them: npm run images:build on the agents' hosts)`)
    }
    // Recorded before the agent makes anything, so that reconcile knows where to look if this web dies mid-way.
    await db.sandbox.updateMany({ where: { id: spec.sandboxId }, data: { agentName: choice.agent } })
    this.holders.set(spec.sandboxId, choice.agent)
    return choice.agent
  }

  /**
   * On the agent assigned before the queue; chosen again if that one was drained, lost or
   * removed while the sandbox waited (or none was assigned).
   */
  async create(spec: CreateSandboxSpec): Promise<PlacedSandbox> {
    const db = await getDb()
    const assigned = (await db.sandbox.findUnique({ where: { id: spec.sandboxId }, select: { agentName: true } }))?.agentName
    let agent = assigned ? await db.sandboxAgent.findUnique({ where: { name: assigned } }) : null
    if (!agent || (agent.draining && !spec.resume) || agent.lostAt) {
      const name = await this.assignHost(spec)
      agent = await db.sandboxAgent.findUnique({ where: { name } })
      if (!agent) throw new SandboxUnavailableError(`the quai-agent ${name} was removed`)
    }
    this.holders.set(spec.sandboxId, agent.name)
    return this.remote(agent).placement.create(spec)
  }

  async destroy(sandboxId: string): Promise<void> {
    // Never placed on an agent: nothing to remove.
    const holder = await this.holderOf(sandboxId)
    if (holder) await holder.destroy(sandboxId)
    this.holders.delete(sandboxId)
  }

  async keep(sandboxId: string, diskId: string): Promise<KeptDiskInfo> {
    const holder = await this.holderOf(sandboxId)
    if (!holder) throw new SandboxUnavailableError(`sandbox ${sandboxId} was never placed: it has no disk to keep`)
    const kept = await holder.keep(sandboxId, diskId)
    this.holders.delete(sandboxId)
    return kept
  }

  async snapshot(sandboxId: string, step: string): Promise<{ running: RunningContainers }> {
    return (await this.holder(sandboxId)).snapshot(sandboxId, step)
  }

  async restoreStep(sandboxId: string, step: string, running: RunningContainers): Promise<void> {
    await (await this.holder(sandboxId)).restoreStep(sandboxId, step, running)
  }

  async removeStep(sandboxId: string, step: string): Promise<void> {
    await (await this.holder(sandboxId)).removeStep(sandboxId, step)
  }

  async removeKept(diskId: string, host: string | null): Promise<void> {
    const agent = host ? await this.agentRow(host) : null
    if (!agent) throw new SandboxUnavailableError(`kept disk ${diskId}: its quai-agent ${host ?? '(none)'} is not registered`)
    if (agent.lostAt) throw new KeptHostUnavailableError(agent.name)
    await this.remote(agent).placement.removeKept(diskId)
  }

  async archiveKeptLab(diskId: string, host: string | null): Promise<NodeJS.ReadableStream> {
    const agent = host ? await this.agentRow(host) : null
    if (!agent) throw new SandboxUnavailableError(`kept disk ${diskId}: its quai-agent ${host ?? '(none)'} is not registered`)
    if (agent.lostAt) throw new KeptHostUnavailableError(agent.name)
    return this.remote(agent).placement.archiveKeptLab(diskId)
  }

  async listKept(): Promise<{ diskId: string; bytes: number }[]> {
    const lists = await Promise.allSettled((await this.parts()).map((p) => p.placement.listKept()))
    return lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []))
  }

  async health(sandboxId: string, nodes: { name: string; containerId: string | null; socketPath: string | null }[]): Promise<NodeHealth[]> {
    return (await this.holder(sandboxId)).health(sandboxId, nodes)
  }

  /** Every answering agent's node containers (an agent that does not answer lists nothing: the runtime judges per agent). */
  async listNodeStates(): Promise<NodeContainerState[]> {
    const lists = await Promise.allSettled((await this.parts()).map((p) => p.placement.listNodeStates()))
    return lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []))
  }

  async listPlaced(): Promise<string[]> {
    const lists = await Promise.allSettled((await this.parts()).map((p) => p.placement.listPlaced()))
    return lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []))
  }

  async nodeDeath(sandboxId: string, node: { name: string; containerId: string }): Promise<NodeDeath | null> {
    return (await this.holder(sandboxId)).nodeDeath(sandboxId, node)
  }

  async processCount(sandboxId: string): Promise<{ current: number; max: number } | null> {
    return (await this.holder(sandboxId)).processCount(sandboxId)
  }

  async killLearnerProcesses(sandboxId: string, nodes: { containerId: string | null }[]): Promise<number> {
    return (await this.holder(sandboxId)).killLearnerProcesses(sandboxId, nodes)
  }

  async reapplyLimits(sandboxId: string): Promise<void> {
    await (await this.holder(sandboxId)).reapplyLimits(sandboxId)
  }

  async diskSpace(sandboxId: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
    return (await this.holder(sandboxId)).diskSpace(sandboxId)
  }

  async exec(node: NodeRef, cmd: string[], options?: ExecInNodeOptions): Promise<ExecResult> {
    return (await this.holder(node.sandboxId)).exec(node, cmd, options)
  }

  execCommand(cmd: string[]): string[] {
    return learnerCommand(cmd)
  }

  nodeContainer(node: NodeRef): { docker: DockerDaemon; containerId: string } {
    return this.holderNow(node.sandboxId).nodeContainer(node)
  }

  innerDocker(node: NodeRef): DockerDaemon {
    return this.holderNow(node.sandboxId).innerDocker(node)
  }

  async nodeAddress(node: NodeRef): Promise<string | null> {
    return (await this.holder(node.sandboxId)).nodeAddress(node)
  }

  async portRoute(node: NodeRef, port: number): Promise<PortRoute> {
    return (await this.holder(node.sandboxId)).portRoute(node, port)
  }
}

function fail(sandboxId: string): never {
  throw new SandboxUnavailableError(`sandbox ${sandboxId} is on no known quai-agent`)
}
