import 'server-only'
import http from 'node:http'
import { dockerClientThroughAgent, type DockerDaemon } from '../../docker/client.server'
import { DockerProblemError, type DockerProblemCode } from '../../docker/diagnose.server'
import type { PortRoute } from '../placement'
import { KeptDiskBrokenError, SandboxError, SandboxHostFullError, StepsUnavailableError, type SandboxErrorCode } from '../types'
import { agentConnectionIdle, agentErrorSchema, agentOperations, dockerPassthroughPrefix, keptExportPath, keptLabPath,
  keptImportPath, keptScope, operationPath, portPassthroughPrefix, scopeOf, type AgentInput, type AgentOperation, type AgentOutput, type DockerTarget } from './protocol'
import { parseAgentAddress, type AgentAddress } from './address'
import { authHeader, hashBody, signRequest } from './signing'

// quai-web's side of the channel to one quai-agent: signed operations, and Docker clients
// whose every request is prefixed with the node's passthrough path and signed as it leaves.

/** The agent did not answer, or answered something that is not the protocol. */
export class AgentUnreachableError extends Error {
  override readonly name = 'AgentUnreachableError'
}

/** Operations and kept-disk streams: kept-alive sockets, dropped while idle before the agent drops them. */
const operationsAgent = new http.Agent({ keepAlive: true, timeout: agentConnectionIdle.clientMs })

/** An http.Agent that sends each request to one node's passthrough, signed for its sandbox. */
class PassthroughAgent extends http.Agent {
  constructor(
    private readonly key: Buffer,
    private readonly prefix: string,
    private readonly sandboxId: string,
  ) {
    super({ keepAlive: true, maxFreeSockets: 4, timeout: agentConnectionIdle.clientMs })
  }

  // Called by http.ClientRequest before its head is written: the path and headers can still change.
  addRequest(request: http.ClientRequest, options: http.RequestOptions): void {
    request.path = `${this.prefix}${request.path}`
    request.setHeader(authHeader, signRequest(this.key, { method: request.method, path: request.path, scope: this.sandboxId }))
    ;(http.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: http.RequestOptions): void }).addRequest.call(this, request, options)
  }
}

export class AgentClient {
  private readonly daemons = new Map<string, DockerDaemon>()
  private readonly portAgents = new Map<string, PassthroughAgent>()
  private readonly where: AgentAddress

  /** `address`: the agent's unix socket path, or http://ip:port. */
  constructor(
    readonly address: string,
    private readonly key: Buffer,
    private readonly timeoutMs = 120_000,
  ) {
    this.where = parseAgentAddress(address) ?? invalidAddress(address)
  }

  /** A client with another timeout (the heartbeat wants a short one). */
  withTimeout(timeoutMs: number): AgentClient {
    return new AgentClient(this.address, this.key, timeoutMs)
  }

  private get target(): { socketPath: string } | { host: string; port: number } {
    return this.where.kind === 'socket' ? { socketPath: this.where.path } : { host: this.where.host, port: this.where.port }
  }

  /** One operation, its input and answer parsed by the protocol's schemas. */
  async call<Op extends AgentOperation>(operation: Op, input: AgentInput<Op>): Promise<AgentOutput<Op>> {
    const body = JSON.stringify(agentOperations[operation].input.parse(input))
    const path = operationPath(operation)
    const auth = signRequest(this.key, { method: 'POST', path, scope: scopeOf(operation, input), bodyHash: hashBody(body) })
    const { status, text } = await this.post(path, body, auth)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new AgentUnreachableError(`agent at ${this.address} answered ${status} with no JSON`)
    }
    if (status === 200) return agentOperations[operation].output.parse((json as { result?: unknown }).result) as AgentOutput<Op>
    const error = agentErrorSchema.safeParse(json)
    if (!error.success) throw new AgentUnreachableError(`agent at ${this.address} answered ${status}: ${text.slice(0, 200)}`)
    throw errorFromAgent(error.data.error)
  }

  /** A node's daemon through the agent: its container on the host engine, or its inner daemon. */
  docker(sandboxId: string, node: string, target: DockerTarget): DockerDaemon {
    const prefix = dockerPassthroughPrefix(sandboxId, node, target)
    let daemon = this.daemons.get(prefix)
    if (!daemon) {
      daemon = dockerClientThroughAgent(this.target, new PassthroughAgent(this.key, prefix, sandboxId))
      this.daemons.set(prefix, daemon)
    }
    return daemon
  }

  /** How to reach a port the learner published on a node: through the agent, signed (http.request options). */
  portRoute(sandboxId: string, node: string, port: number): PortRoute {
    const prefix = portPassthroughPrefix(sandboxId, node, port)
    let agent = this.portAgents.get(prefix)
    if (!agent) {
      agent = new PassthroughAgent(this.key, prefix, sandboxId)
      this.portAgents.set(prefix, agent)
    }
    return { ...this.target, agent }
  }

  /** A kept disk's image as a tar stream (moving it: kept-move.server.ts). */
  exportKept(diskId: string): Promise<http.IncomingMessage> {
    return this.keptStream(diskId, keptExportPath(diskId))
  }

  /** A kept disk's lab folders as a .tar.gz, read on its host without starting it. */
  keptLab(diskId: string): Promise<http.IncomingMessage> {
    return this.keptStream(diskId, keptLabPath(diskId))
  }

  private keptStream(diskId: string, path: string): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = http.request({ ...this.target, agent: operationsAgent, method: 'GET', path, headers: { [authHeader]: signRequest(this.key, { method: 'GET', path, scope: keptScope(diskId) }) } }, (response) => {
        if (response.statusCode === 200) return resolve(response)
        void readAll(response).then((text) => reject(this.answerError(response.statusCode ?? 0, text)), reject)
      })
      request.on('error', (error) => reject(new AgentUnreachableError(`agent at ${this.address} cannot be reached: ${error.message}`, { cause: error })))
      request.end()
    })
  }

  /** A kept disk into this agent's host, from another's export; resolves with the bytes it holds there. */
  importKept(diskId: string, bytes: number, body: NodeJS.ReadableStream): Promise<number> {
    const path = keptImportPath(diskId, bytes)
    return new Promise((resolve, reject) => {
      const request = http.request(
        { ...this.target, agent: operationsAgent, method: 'PUT', path, headers: { 'content-type': 'application/x-tar', [authHeader]: signRequest(this.key, { method: 'PUT', path, scope: keptScope(diskId) }) } },
        (response) => {
          void readAll(response).then((text) => {
            if (response.statusCode !== 200) return reject(this.answerError(response.statusCode ?? 0, text))
            resolve(Number((JSON.parse(text) as { result?: { bytes?: unknown } }).result?.bytes ?? 0))
          }, reject)
        },
      )
      request.on('error', (error) => reject(new AgentUnreachableError(`agent at ${this.address} cannot be reached: ${error.message}`, { cause: error })))
      body.on('error', (error) => request.destroy(error))
      body.pipe(request)
    })
  }

  private answerError(status: number, text: string): Error {
    try {
      const error = agentErrorSchema.safeParse(JSON.parse(text))
      if (error.success) return errorFromAgent(error.data.error)
    } catch {
      // not JSON: said below
    }
    return new AgentUnreachableError(`agent at ${this.address} answered ${status}: ${text.slice(0, 200)}`)
  }

  /** Forget the clients of a sandbox that ended. */
  forgetSandbox(sandboxId: string): void {
    const mine = (prefix: string) => prefix.startsWith(`/v1/sandboxes/${sandboxId}/`)
    for (const prefix of this.daemons.keys()) if (mine(prefix)) this.daemons.delete(prefix)
    for (const [prefix, agent] of this.portAgents) {
      if (!mine(prefix)) continue
      agent.destroy()
      this.portAgents.delete(prefix)
    }
  }

  private post(path: string, body: string, auth: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { ...this.target, agent: operationsAgent, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [authHeader]: auth } },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
          response.on('error', reject)
        },
      )
      request.setTimeout(this.timeoutMs, () => request.destroy(new AgentUnreachableError(`agent at ${this.address} did not answer ${path} within ${this.timeoutMs} ms`)))
      request.on('error', (error) => reject(error instanceof AgentUnreachableError ? error : new AgentUnreachableError(`agent at ${this.address} cannot be reached: ${error.message}`, { cause: error })))
      request.end(body)
    })
  }
}

function invalidAddress(address: string): never {
  throw new Error(`not an agent address: ${address} (expected a unix socket path or http://ip:port)`)
}

/** The agent's error answer as the error the placement would have thrown on this host. */
function errorFromAgent(error: { status: number; code: string; message: string; params?: Record<string, string | number>; fix?: string }): Error {
  if (error.code === 'sandbox.host_full') return new SandboxHostFullError(Number(error.params?.neededMb ?? 0), Number(error.params?.availableMb ?? 0), error.fix ?? '')
  // The errors the web acts on by their class: a damaged kept disk (a fresh sandbox), no steps on this host.
  if (error.code === 'sandbox.kept_disk_broken') return new KeptDiskBrokenError(String(error.params?.diskId ?? ''), error.message)
  if (error.code === 'sandbox.steps_unavailable') return new StepsUnavailableError()
  if (error.code.startsWith('sandbox.')) return new SandboxError(error.code as SandboxErrorCode, error.params ?? {})
  if (error.code.startsWith('docker.')) return new DockerProblemError(error.code.slice('docker.'.length) as DockerProblemCode, error.message.replace(/\. Fix: [\s\S]*$/, ''), error.fix ?? '')
  return Object.assign(new Error(`agent: ${error.message}`), { agentCode: error.code, status: error.status })
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    stream.on('error', reject)
  })
}
