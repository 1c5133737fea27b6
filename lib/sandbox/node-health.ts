import type { NodeContainerState, NodeDeath } from './placement'
import type { NodeDeathReason } from './types'

// When a sandbox's inner dockerd dies, its node container exits with it (the entrypoint
// execs dockerd). These pure rules turn what the hosts list into the sandboxes to end.

export type RunningSandboxNodes = { id: string; nodes: { name: string; containerId: string | null }[] }

export type DeadNode = { sandboxId: string; node: string; containerId: string }

/**
 * The first stopped or vanished node of each running sandbox. A node without a container id
 * yet belongs to a sandbox whose start is still being recorded: it is left alone.
 */
export function deadNodesOf(sandboxes: RunningSandboxNodes[], states: NodeContainerState[]): DeadNode[] {
  const byContainer = new Map(states.map((s) => [s.containerId, s]))
  const dead: DeadNode[] = []
  for (const sandbox of sandboxes) {
    const stopped = sandbox.nodes.find((n) => n.containerId !== null && byContainer.get(n.containerId)?.running !== true)
    if (stopped?.containerId) dead.push({ sandboxId: sandbox.id, node: stopped.name, containerId: stopped.containerId })
  }
  return dead
}

export function deathReasonOf(death: NodeDeath | null): NodeDeathReason {
  return death?.outOfMemory ? 'node_out_of_memory' : 'node_died'
}

/** Sandbox.error of a sandbox ended by a node's death (for instructors and logs; learners read endReason). */
export function deathDescription(node: string, death: NodeDeath | null): string {
  if (!death) return `node ${node} disappeared from its host`
  const parts = [death.exitCode === null ? null : `exit code ${death.exitCode}`, death.outOfMemory ? 'out of memory' : null].filter(Boolean)
  return `node ${node} stopped: its Docker daemon ended${parts.length ? ` (${parts.join(', ')})` : ''}`
}
