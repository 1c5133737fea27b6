import 'server-only'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import type { Duplex } from 'node:stream'
import { dockerProblemOf, hostSocketPath } from '../docker/diagnose.server'
import type { LocalPlacement } from '../sandbox/local-placement.server'
import type { NodeRef } from '../sandbox/placement'
import { SandboxError, SandboxHostFullError } from '../sandbox/types'
import {
  agentOperations,
  agentConnectionIdle,
  allowedEngineCall,
  isAgentOperation,
  parsePassthroughPath,
  keptScope,
  parseKeptStreamPath,
  scopeOf,
  type AgentInput,
  type AgentOperation,
  type AgentOutput,
} from '../sandbox/agent/protocol'
import { authHeader, hashBody, NonceMemory, verifyRequest, type AgentAuthRefusal } from '../sandbox/agent/signing'

// quai-agent's HTTP server: the sandbox operations of this host (a LocalPlacement) and the
// Docker passthrough of its nodes, for quai-web alone (every request signed, see
// lib/sandbox/agent/signing.ts). It trusts nothing a request says about a node beyond its
// sandbox and name: container ids and sockets are this host's own, looked up by label.

const maxBodyBytes = 16 * 1024 * 1024

export type AgentServerOptions = {
  placement: LocalPlacement
  key: Buffer
  name: string
  log?: (message: string) => void
}

class AgentRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** This host's room: what the agent's metrics read at each scrape, without listing any image. */
export async function agentRoom(placement: LocalPlacement) {
  const [placed, disk] = await Promise.all([placement.listPlaced(), placement.hostDisk()])
  return {
    memoryFreeMb: Math.round(os.freemem() / 1024 / 1024),
    memoryTotalMb: Math.round(os.totalmem() / 1024 / 1024),
    ...disk,
    runningSandboxes: placed.length,
  }
}

/** What the capacity operation answers quai-web's heartbeat: the room and the images (the wire keeps the protocol's fields). */
async function agentCapacity(placement: LocalPlacement, name: string) {
  const [room, images] = await Promise.all([agentRoom(placement), placement.hostImages()])
  return { agentName: name, placementName: placement.name, ...room, ...images }
}

export function createAgentServer(options: AgentServerOptions): http.Server {
  const { placement, key } = options
  const log = options.log ?? ((m: string) => console.warn(`[agent] ${m}`))
  const nonces = new NonceMemory()
  /** Exec ids this agent created through the passthrough, and their sandbox. */
  const execs = new Map<string, { sandboxId: string; until: number }>()

  function refuse(refusal: AgentAuthRefusal): AgentRequestError {
    return new AgentRequestError(refusal === 'wrong_sandbox' ? 403 : 401, `agent_${refusal}`, `request refused: ${refusal.replace('_', ' ')}`)
  }

  // A sandbox's node containers and sockets do not change while it lives: one host lookup
  // serves the many calls of a check or a file listing (forgotten on destroy, and after a while).
  // Their addresses too (the port proxy asks for one on every request), filled as they are asked.
  const knownNodes = new Map<string, { nodes: NodeRef[]; addresses: Map<string, string>; until: number }>()
  async function nodesOf(sandboxId: string): Promise<NodeRef[]> {
    const now = Date.now()
    const known = knownNodes.get(sandboxId)
    if (known && known.until > now) return known.nodes
    const nodes = await placement.findNodes(sandboxId)
    if (knownNodes.size > 1000) for (const [id, entry] of knownNodes) if (entry.until < now) knownNodes.delete(id)
    if (nodes.length > 0 && nodes.every((n) => n.socketPath)) knownNodes.set(sandboxId, { nodes, addresses: new Map(), until: now + 30_000 })
    return nodes
  }

  async function addressOf(node: NodeRef): Promise<string | null> {
    const addresses = knownNodes.get(node.sandboxId)?.addresses
    const known = addresses?.get(node.name)
    if (known) return known
    const address = await placement.nodeAddress(node)
    if (address) addresses?.set(node.name, address)
    return address
  }

  async function nodeOf(sandboxId: string, name: string): Promise<NodeRef> {
    const node = (await nodesOf(sandboxId)).find((n) => n.name === name)
    if (!node) throw new SandboxError('sandbox.node_not_found', { node: name })
    return node
  }

  /** A node the web names: it must be this sandbox's, and what is used is the host's own record. */
  async function trustedNode(given: { sandboxId: string; name: string; containerId?: string | null }): Promise<NodeRef> {
    const node = await nodeOf(given.sandboxId, given.name)
    if (given.containerId && given.containerId !== node.containerId) throw refuse('wrong_sandbox')
    return node
  }

  async function runOperation<Op extends AgentOperation>(operation: Op, input: AgentInput<Op>): Promise<AgentOutput<Op>> {
    const run = async (): Promise<unknown> => {
      switch (operation) {
        case 'prepare':
          await placement.prepare()
          return { done: true }
        case 'capacity':
          return agentCapacity(placement, options.name)
        case 'create':
          return placement.create(input as AgentInput<'create'>)
        case 'destroy':
          knownNodes.delete((input as AgentInput<'destroy'>).sandboxId)
          await placement.destroy((input as AgentInput<'destroy'>).sandboxId)
          return { done: true }
        case 'keep': {
          const { sandboxId, diskId } = input as AgentInput<'keep'>
          knownNodes.delete(sandboxId)
          return placement.keep(sandboxId, diskId)
        }
        case 'snapshot': {
          const { sandboxId, step } = input as AgentInput<'snapshot'>
          return placement.snapshot(sandboxId, step)
        }
        case 'restoreStep': {
          const { sandboxId, step, running } = input as AgentInput<'restoreStep'>
          await placement.restoreStep(sandboxId, step, running)
          return { done: true }
        }
        case 'removeStep': {
          const { sandboxId, step } = input as AgentInput<'removeStep'>
          await placement.removeStep(sandboxId, step)
          return { done: true }
        }
        case 'removeKept':
          await placement.removeKept((input as AgentInput<'removeKept'>).diskId)
          return { done: true }
        case 'listKept':
          return placement.listKept()
        case 'health': {
          const { sandboxId, nodes } = input as AgentInput<'health'>
          const known = await placement.findNodes(sandboxId)
          return placement.health(
            sandboxId,
            nodes.map((n) => {
              const own = known.find((k) => k.name === n.name)
              return { name: n.name, containerId: own?.containerId ?? null, socketPath: own?.socketPath ?? null }
            }),
          )
        }
        case 'listNodeStates':
          return placement.listNodeStates()
        case 'nodeDeath': {
          const { sandboxId, node } = input as AgentInput<'nodeDeath'>
          const own = (await placement.findNodes(sandboxId)).find((n) => n.name === node.name)
          // A container this host no longer lists died for a reason nobody knows.
          if (own && own.containerId !== node.containerId) throw refuse('wrong_sandbox')
          return own ? placement.nodeDeath(sandboxId, own) : { node: node.name, exitCode: null, outOfMemory: false }
        }
        case 'processCount':
          return placement.processCount((input as AgentInput<'processCount'>).sandboxId)
        case 'killLearnerProcesses': {
          const { sandboxId } = input as AgentInput<'killLearnerProcesses'>
          return placement.killLearnerProcesses(sandboxId, await placement.findNodes(sandboxId))
        }
        case 'reapplyLimits':
          await placement.reapplyLimits((input as AgentInput<'reapplyLimits'>).sandboxId)
          return { done: true }
        case 'diskSpace':
          return placement.diskSpace((input as AgentInput<'diskSpace'>).sandboxId)
        case 'listPlaced':
          return placement.listPlaced()
        case 'exec': {
          const { node, cmd, options: execOptions } = input as AgentInput<'exec'>
          const { stdin, ...rest } = execOptions
          return placement.exec(await trustedNode(node), cmd, { ...rest, ...(stdin !== undefined ? { stdin: Buffer.from(stdin, 'base64') } : {}) })
        }
        case 'nodeAddress':
          return placement.nodeAddress(await trustedNode((input as AgentInput<'nodeAddress'>).node))
      }
    }
    return agentOperations[operation].output.parse(await run()) as AgentOutput<Op>
  }

  async function handleOperation(request: http.IncomingMessage, response: http.ServerResponse, operation: string): Promise<void> {
    if (request.method !== 'POST' || !isAgentOperation(operation)) throw new AgentRequestError(404, 'agent_unknown_operation', `no operation ${operation}`)
    const body = await readBody(request)
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch {
      throw new AgentRequestError(400, 'agent_bad_request', 'the body is not JSON')
    }
    const parsed = agentOperations[operation].input.safeParse(json)
    if (!parsed.success) throw new AgentRequestError(400, 'agent_bad_request', `bad ${operation} input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    const input = parsed.data as AgentInput<typeof operation>
    const verdict = verifyRequest(key, header(request), { method: 'POST', path: request.url ?? '', scope: scopeOf(operation, input), bodyHash: hashBody(body) }, nonces)
    if (!verdict.ok) throw refuse(verdict.refusal)
    const result = await runOperation(operation, input)
    sendJson(response, 200, { result })
  }

  type Upstream = { connect: { socketPath: string } | { host: string; port: number }; apiPath: string; sandboxId: string; recordExec: boolean; keepHost: boolean }

  async function passthroughTarget(request: http.IncomingMessage): Promise<Upstream> {
    const target = parsePassthroughPath(request.url ?? '')
    if (!target) throw new AgentRequestError(404, 'agent_not_found', 'no such agent path')
    const method = request.method ?? 'GET'
    const verdict = verifyRequest(key, header(request), { method, path: request.url ?? '', scope: target.sandboxId }, nonces)
    if (!verdict.ok) throw refuse(verdict.refusal)
    const node = await nodeOf(target.sandboxId, target.node)
    const upstream = { apiPath: target.apiPath, sandboxId: target.sandboxId, recordExec: false, keepHost: false }
    if (target.target === 'port') {
      // The learner's own app on its node: whatever it serves, with the Host the browser asked for.
      const address = await addressOf(node)
      if (!address) throw new SandboxError('sandbox.node_not_found', { node: target.node })
      return { ...upstream, connect: { host: address, port: target.port }, keepHost: true }
    }
    if (target.target === 'inner') {
      if (!node.socketPath) throw new SandboxError('sandbox.node_not_found', { node: target.node })
      return { ...upstream, connect: { socketPath: node.socketPath } }
    }
    const allowed = allowedEngineCall(method, target.apiPath, node.containerId)
    if (!allowed.ok) throw new AgentRequestError(403, 'agent_call_refused', `${method} ${target.apiPath.replace(/\?.*$/, '')} is not a call a node needs`)
    if (allowed.execId && execs.get(allowed.execId)?.sandboxId !== target.sandboxId) throw refuse('wrong_sandbox')
    return { ...upstream, connect: { socketPath: hostSocketPath() }, recordExec: Boolean(allowed.createsExec) }
  }

  function rememberExec(body: Buffer, sandboxId: string) {
    const id = (JSON.parse(body.toString('utf8')) as { Id?: unknown }).Id
    const now = Date.now()
    if (execs.size > 10_000) for (const [execId, entry] of execs) if (entry.until < now) execs.delete(execId)
    if (typeof id === 'string') execs.set(id, { sandboxId, until: now + 24 * 3600_000 })
  }

  async function handlePassthrough(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const target = await passthroughTarget(request)
    const upstream = http.request({ ...target.connect, method: request.method, path: target.apiPath, headers: forwardedHeaders(request, target.keepHost) })
    request.pipe(upstream)
    upstream.on('response', (answer) => {
      if (target.recordExec && answer.statusCode === 201) {
        void readBody(answer).then(
          (body) => {
            rememberExec(body, target.sandboxId)
            response.writeHead(201, answer.headers).end(body)
          },
          () => response.destroy(),
        )
        return
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      // A stream that starts quiet (the event stream until something happens) must still
      // answer at once: Node would hold the head back until the first byte of body.
      response.flushHeaders()
      answer.pipe(response)
    })
    upstream.on('error', (error) => {
      if (!response.headersSent) sendJson(response, 502, { error: { status: 502, code: 'agent_upstream', message: error.message } })
      else response.destroy()
    })
    response.on('close', () => upstream.destroy())
  }

  async function handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = await passthroughTarget(request)
    const upstream = 'socketPath' in target.connect ? net.connect(target.connect.socketPath) : net.connect(target.connect.port, target.connect.host)
    upstream.setNoDelay(true)
    ;(socket as net.Socket).setNoDelay?.(true)
    const headers = forwardedHeaders(request, target.keepHost)
    const lines = [`${request.method} ${target.apiPath} HTTP/1.1`, ...Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`))]
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
    if (head.length) upstream.write(head)
    socket.pipe(upstream).pipe(socket)
    const end = () => {
      socket.destroy()
      upstream.destroy()
    }
    socket.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  }

  /** A kept disk's image as a stream: out to another agent, or in from one (moving kept disks). */
  async function handleKeptStream(request: http.IncomingMessage, response: http.ServerResponse, stream: { diskId: string; direction: 'export' | 'import' | 'lab'; bytes: number }): Promise<void> {
    const method = stream.direction === 'import' ? 'PUT' : 'GET'
    if (request.method !== method) throw new AgentRequestError(405, 'agent_bad_request', `${stream.direction} takes ${method}`)
    const verdict = verifyRequest(key, header(request), { method, path: request.url ?? '', scope: keptScope(stream.diskId) }, nonces)
    if (!verdict.ok) throw refuse(verdict.refusal)
    if (stream.direction === 'lab') {
      const archive = await placement.archiveKeptLab(stream.diskId)
      response.writeHead(200, { 'content-type': 'application/gzip' })
      archive.on('error', () => response.destroy())
      // The web tier went away: the archive stops, and its mount goes.
      response.on('close', () => (archive as NodeJS.ReadableStream & { destroy(): void }).destroy())
      archive.pipe(response)
      return
    }
    if (stream.direction === 'export') {
      const tar = placement.exportKept(stream.diskId)
      response.writeHead(200, { 'content-type': 'application/x-tar' })
      tar.on('error', () => response.destroy())
      tar.pipe(response)
      return
    }
    const bytes = await placement.importKept(stream.diskId, request, stream.bytes)
    sendJson(response, 200, { result: { bytes } })
  }

  const server = http.createServer((request, response) => {
    const url = request.url ?? ''
    const operation = /^\/v1\/ops\/([A-Za-z]+)$/.exec(url)?.[1]
    const kept = parseKeptStreamPath(url)
    const work = operation !== undefined ? handleOperation(request, response, operation) : kept ? handleKeptStream(request, response, kept) : handlePassthrough(request, response)
    work.catch((error: unknown) => {
      const answer = errorAnswer(error)
      if (answer.status >= 500) log(`${request.method} ${url.replace(/\?.*$/, '')}: ${(error as Error)?.message ?? String(error)}`)
      if (!response.headersSent) sendJson(response, answer.status, { error: answer })
      else response.destroy()
    })
  })
  server.keepAliveTimeout = agentConnectionIdle.serverMs
  server.headersTimeout = agentConnectionIdle.serverMs + 1000
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(request, socket, head).catch((error: unknown) => {
      const answer = errorAnswer(error)
      const body = JSON.stringify({ error: answer })
      socket.end(`HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
    })
  })
  return server
}

function header(request: http.IncomingMessage): string | undefined {
  const value = request.headers[authHeader]
  return Array.isArray(value) ? value[0] : value
}

function forwardedHeaders(request: http.IncomingMessage, keepHost: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...request.headers }
  delete headers[authHeader]
  if (!keepHost) headers.host = 'docker'
  return headers
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        reject(new AgentRequestError(413, 'agent_too_large', `body over ${maxBodyBytes} bytes`))
        ;(stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.()
        return
      }
      chunks.push(chunk)
    })
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

function sendJson(response: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
}

export type AgentErrorAnswer = { status: number; code: string; message: string; params?: Record<string, string | number>; fix?: string }

/** An error as the agent answers it; quai-web turns it back into the same error (remote-placement.server.ts). */
function errorAnswer(error: unknown): AgentErrorAnswer {
  if (error instanceof AgentRequestError) return { status: error.status, code: error.code, message: error.message }
  if (error instanceof SandboxError) {
    return { status: error.status, code: error.code, message: error.message, params: error.params, ...(error instanceof SandboxHostFullError ? { fix: error.fix } : {}) }
  }
  const problem = dockerProblemOf(error)
  if (problem) return { status: 503, code: `docker.${problem.code}`, message: problem.message, fix: problem.fix }
  return { status: 500, code: 'agent_error', message: error instanceof Error ? error.message : String(error) }
}
