import 'server-only'
import type http from 'node:http'
import Docker from 'dockerode'
import { hostSocketPath } from './diagnose.server'

// The one way Quai gets a Docker client: `hostEngine()` for this server's engine and
// `dockerClientForSocket()` for any other daemon on a unix socket (a sandbox node's inner
// daemon, or the host's in tests). Outside lib/docker a client is a DockerDaemon, Quai's own
// small interface: the dockerode object inside it is reached only through `apiOf`, which
// lib/docker alone may import (eslint.config.mjs; tests/unit/docker/boundary.test.ts).

/** A Docker daemon (the host's engine or a node's inner daemon), handed to lib/docker's functions. */
export interface DockerDaemon {
  /** Whether the daemon answers /_ping within `timeoutMs` (false, never throws). */
  ping(timeoutMs?: number): Promise<boolean>
  /** The daemon's event stream (JSON lines) until `signal` aborts. */
  events(signal: AbortSignal): Promise<NodeJS.ReadableStream>
  /** The last `lines` lines a container printed (stdout and stderr, control bytes dropped); '' when unreadable. */
  logTail(containerId: string, lines: number): Promise<string>
}

class DockerodeDaemon implements DockerDaemon {
  constructor(readonly api: Docker) {}

  async ping(timeoutMs = 1000): Promise<boolean> {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      await (this.api.ping as (opts: object) => Promise<unknown>).call(this.api, { abortSignal: signal })
      return true
    } catch {
      return false
    }
  }

  events(signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    return this.api.getEvents({ abortSignal: signal } as Docker.GetEventsOptions)
  }

  async logTail(containerId: string, lines: number): Promise<string> {
    try {
      const buf = (await this.api.getContainer(containerId).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer
      // Strip the 8-byte frame headers of non-TTY logs (and any other control bytes).
      const text = [...buf.toString('utf8')].filter((c) => c >= ' ' || c === '\n').join('')
      return text.trim().slice(-500)
    } catch {
      return ''
    }
  }
}

/** The dockerode client inside a handle: for lib/docker's own modules only. */
export function apiOf(daemon: DockerDaemon): Docker {
  // (A test's Object.create(handle) with a method of its own is one too.)
  if (daemon instanceof DockerodeDaemon) return daemon.api
  throw new TypeError('not a Docker client made by lib/docker')
}

let host: DockerDaemon | undefined

/** The host's engine (DOCKER_HOST=unix://... or /var/run/docker.sock). */
export function hostEngine(): DockerDaemon {
  host ??= new DockerodeDaemon(new Docker({ socketPath: hostSocketPath() }))
  return host
}

const clients = new Map<string, DockerDaemon>()

/**
 * A client for the daemon on a unix socket (no TCP), kept until forgetDaemon. With
 * `idleTimeoutMs`, dockerode cuts any request idle that long, event streams included: a node's
 * inner daemon is reached with 30 s (lib/sandbox), so a stalled learner daemon frees its request.
 */
export function dockerClientForSocket(socketPath: string, options: { idleTimeoutMs?: number } = {}): DockerDaemon {
  const key = `${options.idleTimeoutMs ?? 0}:${socketPath}`
  let client = clients.get(key)
  if (!client) {
    client = new DockerodeDaemon(new Docker({ socketPath, ...(options.idleTimeoutMs ? { timeout: options.idleTimeoutMs } : {}) }))
    clients.set(key, client)
  }
  return client
}

/**
 * A client whose requests go through `agent` to `address` (a unix socket, or a private
 * host and port): a quai-agent's Docker passthrough, where the http.Agent (lib/sandbox/agent)
 * prefixes and signs each request.
 */
export function dockerClientThroughAgent(address: { socketPath: string } | { host: string; port: number }, agent: http.Agent): DockerDaemon {
  const where = 'socketPath' in address ? { socketPath: address.socketPath } : { host: address.host, port: address.port, protocol: 'http' as const }
  return new DockerodeDaemon(new Docker({ ...where, agent } as unknown as Docker.DockerOptions))
}

/** Forget the clients of a socket (its sandbox ended). */
export function forgetDaemon(socketPath: string): void {
  for (const key of clients.keys()) if (key.slice(key.indexOf(':') + 1) === socketPath) clients.delete(key)
}

/** A handle over a stand-in for dockerode (unit tests fake the Engine API at its modem). */
export function dockerDaemonForTests(api: object): DockerDaemon {
  return new DockerodeDaemon(api as Docker)
}
