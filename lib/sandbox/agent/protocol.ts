import { z } from 'zod'
import { nodeNameSchema } from '../../content/slug'
import { keptIdChars, keptIdSchema, nodeRoles, sandboxIdSchema } from '../types'
import { hostScope } from './signing'

// The contract between quai-web and a quai-agent, one zod schema per operation, parsed on both
// sides. Two kinds of request, both signed (signing.ts):
//  - operations: POST /v1/ops/<name> with a JSON body; the agent answers { result } or
//    { error: { code, message, status } };
//  - Docker passthrough: /v1/sandboxes/<id>/nodes/<node>/<engine|inner>/<Engine API path>, to the
//    node's container on the host engine (only the calls a node needs: exec, archive, inspect,
//    logs) or to the node's inner daemon (the learner's own daemon, whole). Exec streams go
//    through as HTTP upgrades, so the terminal protocol and its flow control are unchanged.

const sandboxId = sandboxIdSchema
const nodeName = nodeNameSchema
const nodeRole = z.enum(nodeRoles)
const isolation = z.enum(['userns', 'caps', 'sysbox', 'privileged'])

const nodeRef = z.object({ sandboxId, name: nodeName, containerId: z.string().min(1), socketPath: z.string().nullable() })
const placedNode = nodeRef.extend({ hostname: z.string(), role: nodeRole, address: z.string().nullable() })
const execResult = z.object({
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
  durationMs: z.number(),
})
const nodeOfSandbox = z.object({ name: nodeName, containerId: z.string().nullable(), socketPath: z.string().nullable() })
const none = z.object({}).strict()
const diskId = keptIdSchema
const step = keptIdSchema
const runningContainers = z.record(nodeName, z.array(z.string().regex(/^[0-9a-f]{12,64}$/)).max(500))
const done = z.object({ done: z.literal(true) })

/** Each operation: what the web sends, what the agent answers, and which sandbox it acts on. */
export const agentOperations = {
  prepare: { input: none, output: done, scope: () => hostScope },
  capacity: {
    input: none,
    output: z.object({
      agentName: z.string(),
      placementName: z.string(),
      memoryFreeMb: z.number(),
      memoryTotalMb: z.number(),
      diskFreeMb: z.number(),
      runningSandboxes: z.number().int(),
      images: z.array(z.string()),
      /** What the host's lesson registry mirror serves ("nginx:1.26"); an older agent says nothing. */
      mirrorImages: z.array(z.string()).default([]),
    }),
    scope: () => hostScope,
  },
  create: {
    input: z.object({
      sandboxId,
      userId: z.string().min(1),
      pooled: z.boolean(),
      nodes: z.array(z.object({ name: nodeName, role: nodeRole })).min(1).max(8),
      limits: z.object({ memoryMb: z.number().int(), cpus: z.number(), pids: z.number().int(), diskMb: z.number().int() }),
      resume: z.object({ diskId, running: runningContainers, subnet: z.string().max(32).nullable(), host: z.string().max(64).nullable() }).optional(),
    }),
    output: z.object({ sandboxId, networkId: z.string().nullable(), isolation, nodes: z.array(placedNode), subnet: z.string().nullable().optional(), steps: z.boolean().optional() }),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  destroy: { input: z.object({ sandboxId }), output: done, scope: (input: { sandboxId: string }) => input.sandboxId },
  keep: {
    input: z.object({ sandboxId, diskId }),
    output: z.object({ bytes: z.number(), running: runningContainers }),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  snapshot: { input: z.object({ sandboxId, step }), output: z.object({ running: runningContainers }), scope: (input: { sandboxId: string }) => input.sandboxId },
  restoreStep: { input: z.object({ sandboxId, step, running: runningContainers }), output: done, scope: (input: { sandboxId: string }) => input.sandboxId },
  removeStep: { input: z.object({ sandboxId, step }), output: done, scope: (input: { sandboxId: string }) => input.sandboxId },
  removeKept: { input: z.object({ diskId }), output: done, scope: () => hostScope },
  listKept: { input: none, output: z.array(z.object({ diskId: z.string(), bytes: z.number() })), scope: () => hostScope },
  health: {
    input: z.object({ sandboxId, nodes: z.array(nodeOfSandbox).max(8) }),
    output: z.array(z.object({ name: nodeName, containerId: z.string().nullable(), running: z.boolean(), daemonAnswers: z.boolean() })),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  listNodeStates: {
    input: none,
    output: z.array(z.object({ sandboxId: z.string(), node: z.string(), containerId: z.string(), running: z.boolean() })),
    scope: () => hostScope,
  },
  nodeDeath: {
    input: z.object({ sandboxId, node: z.object({ name: nodeName, containerId: z.string().min(1) }) }),
    output: z.object({ node: z.string(), exitCode: z.number().int().nullable(), outOfMemory: z.boolean() }).nullable(),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  processCount: {
    input: z.object({ sandboxId }),
    output: z.object({ current: z.number().int(), max: z.number().int() }).nullable(),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  killLearnerProcesses: {
    input: z.object({ sandboxId, nodes: z.array(z.object({ containerId: z.string().nullable() })).max(8) }),
    output: z.number().int(),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  reapplyLimits: { input: z.object({ sandboxId }), output: done, scope: (input: { sandboxId: string }) => input.sandboxId },
  diskSpace: {
    input: z.object({ sandboxId }),
    output: z.object({ freeBytes: z.number(), totalBytes: z.number() }).nullable(),
    scope: (input: { sandboxId: string }) => input.sandboxId,
  },
  listPlaced: { input: none, output: z.array(z.string()), scope: () => hostScope },
  exec: {
    input: z.object({
      node: nodeRef,
      cmd: z.array(z.string()).min(1).max(4096),
      options: z
        .object({
          env: z.array(z.string()).max(256).optional(),
          workingDir: z.string().optional(),
          /** base64 */
          stdin: z.string().optional(),
          timeoutMs: z.number().int().positive().optional(),
          maxOutputBytes: z.number().int().positive().optional(),
          resident: z.boolean().optional(),
        })
        .strict(),
    }),
    output: execResult,
    scope: (input: { node: { sandboxId: string } }) => input.node.sandboxId,
  },
  nodeAddress: { input: z.object({ node: nodeRef }), output: z.string().nullable(), scope: (input: { node: { sandboxId: string } }) => input.node.sandboxId },
} as const

export type AgentOperation = keyof typeof agentOperations
export type AgentInput<Op extends AgentOperation> = z.infer<(typeof agentOperations)[Op]['input']>
export type AgentOutput<Op extends AgentOperation> = z.infer<(typeof agentOperations)[Op]['output']>

export const isAgentOperation = (name: string): name is AgentOperation => Object.hasOwn(agentOperations, name)

/** The scope an operation's input acts on (a sandbox id, or hostScope). */
export function scopeOf<Op extends AgentOperation>(operation: Op, input: AgentInput<Op>): string {
  return (agentOperations[operation].scope as (input: AgentInput<Op>) => string)(input)
}

export const operationPath = (operation: AgentOperation) => `/v1/ops/${operation}`

/** An error the agent answers with: the status, a stable code and the message to show. */
export const agentErrorSchema = z.object({
  error: z.object({ status: z.number().int(), code: z.string(), message: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])).optional() }),
})

export type DockerTarget = 'engine' | 'inner'

/** The passthrough prefix of one node's daemon. */
export const dockerPassthroughPrefix = (sandbox: string, node: string, target: DockerTarget) => `/v1/sandboxes/${sandbox}/nodes/${node}/${target}`

/** The passthrough prefix of a port the learner published on a node (the port proxy's way in). */
export const portPassthroughPrefix = (sandbox: string, node: string, port: number) => `/v1/sandboxes/${sandbox}/nodes/${node}/port/${port}`

/** A kept disk's image as a stream (moving it to another agent: lib/sandbox/kept-move.server.ts). */
export const keptExportPath = (diskId: string) => `/v1/kept/${diskId}/export`
export const keptImportPath = (diskId: string, bytes: number) => `/v1/kept/${diskId}/import?bytes=${Math.max(0, Math.round(bytes))}`
/** A kept disk's lab folders as a .tar.gz (a download of kept work that is not running). */
export const keptLabPath = (diskId: string) => `/v1/kept/${diskId}/lab`
/** The signing scope of a kept disk's streams. */
export const keptScope = (diskId: string) => `kept:${diskId}`

const keptStreamPattern = new RegExp(`^/v1/kept/(${keptIdChars})/(export|import|lab)(?:\\?bytes=(\\d{1,15}))?$`)

export function parseKeptStreamPath(path: string): { diskId: string; direction: 'export' | 'import' | 'lab'; bytes: number } | null {
  const match = keptStreamPattern.exec(path)
  if (!match) return null
  return { diskId: match[1]!, direction: match[2] as 'export' | 'import' | 'lab', bytes: Number(match[3] ?? 0) }
}

const passthroughPattern = /^\/v1\/sandboxes\/([A-Za-z0-9_-]{1,64})\/nodes\/([a-z][a-z0-9-]{0,15})\/(engine|inner|port\/(\d{1,5}))(\/[^?#]*)?(\?.*)?$/

export type PassthroughTarget = { sandboxId: string; node: string; apiPath: string } & ({ target: DockerTarget } | { target: 'port'; port: number })

/** The sandbox, node, target and path (Engine API, or the app's) of a passthrough request, or null. */
export function parsePassthroughPath(path: string): PassthroughTarget | null {
  const match = passthroughPattern.exec(path)
  if (!match) return null
  const [, sandboxId, node, target, port, apiPath, query] = match as unknown as [string, string, string, string, string | undefined, string | undefined, string | undefined]
  const common = { sandboxId, node, apiPath: `${apiPath ?? '/'}${query ?? ''}` }
  if (port === undefined) return { ...common, target: target as DockerTarget }
  const number = Number(port)
  return number >= 1 && number <= 65535 ? { ...common, target: 'port', port: number } : null
}

/**
 * The host-engine calls a node needs (exec and its stream, the archive API, inspect, logs),
 * each on that node's own container or on an exec it created. Paths without their
 * `/v1.xx` version prefix.
 */
export function allowedEngineCall(method: string, apiPath: string, containerId: string): { ok: true; execId?: string; createsExec?: boolean } | { ok: false } {
  const path = apiPath.replace(/^\/v\d+\.\d+(?=\/)/, '').replace(/\?.*$/, '')
  const container = /^\/containers\/([^/]+)\/(json|logs|archive|exec)$/.exec(path)
  if (container) {
    const [, id, what] = container
    if (id !== containerId) return { ok: false }
    if (what === 'json' || what === 'logs') return method === 'GET' ? { ok: true } : { ok: false }
    if (what === 'archive') return ['GET', 'HEAD', 'PUT'].includes(method) ? { ok: true } : { ok: false }
    return method === 'POST' ? { ok: true, createsExec: true } : { ok: false }
  }
  const exec = /^\/exec\/([0-9a-f]{64})\/(start|resize|json)$/.exec(path)
  if (exec) {
    const [, execId, what] = exec
    return (what === 'json' ? method === 'GET' : method === 'POST') ? { ok: true, execId } : { ok: false }
  }
  return { ok: false }
}

/**
 * Idle keep-alive connections between quai-web and an agent: the client drops its idle sockets
 * before the agent closes them, so that a request never goes out on a socket the agent is closing
 * (Node's keep-alive race: write EPIPE or ECONNRESET, a 500 on a sandbox's open).
 */
export const agentConnectionIdle = { clientMs: 55_000, serverMs: 65_000 } as const
