import 'server-only'
import type { DockerDaemon } from '../docker/client.server'
import type { ExecResult } from '../docker/exec.server'
import type { AgentClient } from './agent/client.server'
import { learnerCommand, type CreateSandboxSpec, type KeptDiskInfo, type RunningContainers, type ExecInNodeOptions, type NodeContainerState, type NodeDeath, type NodeHealth, type NodeRef, type PlacedSandbox, type PortRoute, type SandboxPlacement } from './placement'

// The placement of a quai-web that holds no Docker socket: every operation is a signed call to
// the quai-agent of the host that runs the sandboxes (lib/agent), and the nodes' daemons are
// reached through the agent's Docker passthrough. The agent runs a LocalPlacement; this class
// only carries the calls, so the two behave the same by construction.

export class RemotePlacement implements SandboxPlacement {
  constructor(
    readonly name: string,
    private readonly agent: AgentClient,
  ) {}

  async prepare(): Promise<void> {
    await this.agent.call('prepare', {})
  }

  create(spec: CreateSandboxSpec): Promise<PlacedSandbox> {
    return this.agent.call('create', spec)
  }

  async destroy(sandboxId: string): Promise<void> {
    await this.agent.call('destroy', { sandboxId })
    this.agent.forgetSandbox(sandboxId)
  }

  keep(sandboxId: string, diskId: string): Promise<KeptDiskInfo> {
    return this.agent.call('keep', { sandboxId, diskId })
  }

  snapshot(sandboxId: string, step: string): Promise<{ running: RunningContainers }> {
    return this.agent.call('snapshot', { sandboxId, step })
  }

  async restoreStep(sandboxId: string, step: string, running: RunningContainers): Promise<void> {
    await this.agent.call('restoreStep', { sandboxId, step, running })
  }

  async removeStep(sandboxId: string, step: string): Promise<void> {
    await this.agent.call('removeStep', { sandboxId, step })
  }

  async removeKept(diskId: string): Promise<void> {
    await this.agent.call('removeKept', { diskId })
  }

  archiveKeptLab(diskId: string): Promise<NodeJS.ReadableStream> {
    return this.agent.keptLab(diskId)
  }

  listKept(): Promise<{ diskId: string; bytes: number }[]> {
    return this.agent.call('listKept', {})
  }

  health(sandboxId: string, nodes: { name: string; containerId: string | null; socketPath: string | null }[]): Promise<NodeHealth[]> {
    return this.agent.call('health', { sandboxId, nodes })
  }

  listNodeStates(): Promise<NodeContainerState[]> {
    return this.agent.call('listNodeStates', {})
  }

  nodeDeath(sandboxId: string, node: { name: string; containerId: string }): Promise<NodeDeath | null> {
    return this.agent.call('nodeDeath', { sandboxId, node })
  }

  processCount(sandboxId: string): Promise<{ current: number; max: number } | null> {
    return this.agent.call('processCount', { sandboxId })
  }

  killLearnerProcesses(sandboxId: string, nodes: { containerId: string | null }[]): Promise<number> {
    return this.agent.call('killLearnerProcesses', { sandboxId, nodes })
  }

  async reapplyLimits(sandboxId: string): Promise<void> {
    await this.agent.call('reapplyLimits', { sandboxId })
  }

  diskSpace(sandboxId: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
    return this.agent.call('diskSpace', { sandboxId })
  }

  listPlaced(): Promise<string[]> {
    return this.agent.call('listPlaced', {})
  }

  exec(node: NodeRef, cmd: string[], options: ExecInNodeOptions = {}): Promise<ExecResult> {
    const { stdin, ...rest } = options
    return this.agent.call('exec', { node, cmd, options: { ...rest, ...(stdin !== undefined ? { stdin: Buffer.from(stdin).toString('base64') } : {}) } })
  }

  execCommand(cmd: string[]): string[] {
    return learnerCommand(cmd)
  }

  nodeContainer(node: NodeRef): { docker: DockerDaemon; containerId: string } {
    return { docker: this.agent.docker(node.sandboxId, node.name, 'engine'), containerId: node.containerId }
  }

  innerDocker(node: NodeRef): DockerDaemon {
    return this.agent.docker(node.sandboxId, node.name, 'inner')
  }

  nodeAddress(node: NodeRef): Promise<string | null> {
    return this.agent.call('nodeAddress', { node })
  }

  async portRoute(node: NodeRef, port: number): Promise<PortRoute> {
    return this.agent.portRoute(node.sandboxId, node.name, port)
  }
}
