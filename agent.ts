// quai-agent: runs the sandboxes of this host for quai-web (docs/architecture.md). It owns the
// host's Docker engine, cgroups, loop disks and firewall rules, holds no database credentials,
// and listens on a unix socket that the web process's group may use, or on a private address
// for a quai-web on another host (QUAI_AGENT_LISTEN), or both.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { agentRoom, createAgentServer } from './lib/agent/server.server'
import { getEnv, parseListen } from './lib/env.server'
import { agentMetrics } from './lib/metrics/agent.server'
import { listenForMetrics } from './lib/metrics/listener.server'
import { parseAgentKey } from './lib/sandbox/agent/signing'
import { sandboxConfig } from './lib/sandbox/config.server'
import { LocalPlacement } from './lib/sandbox/local-placement.server'

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

const env = (() => {
  try {
    return getEnv()
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
})()
const socketPath = env.QUAI_AGENT_SOCKET
// Checked (private address, or QUAI_AGENT_LISTEN_PUBLIC=1) by getEnv.
const tcp = env.QUAI_AGENT_LISTEN ? parseListen(env.QUAI_AGENT_LISTEN) : null
if (!socketPath && !tcp) fail('QUAI_AGENT_SOCKET (a unix socket, e.g. /run/quai/agent.sock) or QUAI_AGENT_LISTEN (a private ip:port) is required')
const keyFile = env.QUAI_AGENT_KEY_FILE ?? fail('QUAI_AGENT_KEY_FILE is required')
const key = parseAgentKey(fs.readFileSync(keyFile, 'utf8'), keyFile)
const name = env.QUAI_AGENT_NAME ?? os.hostname()

const config = sandboxConfig()
const placement = new LocalPlacement(config)
const server = createAgentServer({ placement, key, name })

const prepareHost = () => placement.prepare().catch((error: unknown) => console.warn(`[agent] host set-up: ${error instanceof Error ? error.message : String(error)}`))

if (socketPath) {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true })
  fs.rmSync(socketPath, { force: true })
  // Created owner-only, then opened to the web's group: never a moment when anyone else may connect.
  const previousMask = process.umask(0o177)
  server.listen(socketPath, () => {
    process.umask(previousMask)
    if (env.QUAI_AGENT_SOCKET_GROUP) {
      execFileSync('chgrp', [env.QUAI_AGENT_SOCKET_GROUP, socketPath])
      fs.chmodSync(socketPath, 0o660)
    }
    console.log(`quai-agent ${name}: listening on ${socketPath} (placement ${placement.name})`)
    void prepareHost()
  })
}

// One HTTP server behind both listeners: one nonce memory, so a request replayed on the other
// listener is refused too.
const tcpServer = tcp
  ? net
      .createServer((socket) => {
        socket.setNoDelay(true)
        server.emit('connection', socket)
      })
      .listen(tcp.port, tcp.host, () => {
        console.log(`quai-agent ${name}: listening on ${tcp.host}:${tcp.port} (placement ${placement.name})`)
        if (!socketPath) void prepareHost()
      })
  : null
tcpServer?.on('error', (error) => fail(`quai-agent: cannot listen on ${env.QUAI_AGENT_LISTEN}: ${error.message}`))

// Prometheus reads /metrics on an address of its own, unsigned: counts and ratios, no sandbox's data.
const version = (JSON.parse(fs.readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }).version
const metricsServer = env.QUAI_AGENT_METRICS_ADDRESS
  ? listenForMetrics(
      env.QUAI_AGENT_METRICS_ADDRESS,
      agentMetrics({ name, version, maxSandboxes: config.maxConcurrent, room: () => agentRoom(placement) }),
      (where) => console.log(`quai-agent ${name}: metrics on http://${where}/metrics`),
    ).on('error', (error) => fail(`quai-agent: cannot serve metrics on ${env.QUAI_AGENT_METRICS_ADDRESS}: ${error.message}`))
  : null

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    tcpServer?.close()
    metricsServer?.close()
    if (socketPath) fs.rmSync(socketPath, { force: true })
    process.exit(0)
  })
}
