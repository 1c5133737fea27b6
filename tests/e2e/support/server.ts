import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'

// A Quai server of a spec's own (the production build, a fresh database), for what the shared
// e2e servers cannot show: limits turned on, another QUAI_URL or ports domain.

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

export type SpecServer = { port: number; log: () => string; stop: () => void }

/** Starts tests/e2e/support/start-server.sh <name> on `port` with `env`, and waits until `ready` appears in its output. */
export async function startSpecServer(name: string, port: number, env: Record<string, string>, ready: RegExp = /Quai is ready on/): Promise<SpecServer> {
  let log = ''
  const server: ChildProcess = spawn('bash', ['tests/e2e/support/start-server.sh', name, 'tests/fixtures/content'], {
    env: { ...process.env, PORT: String(port), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const deadline = Date.now() + 170_000
  while (!ready.test(log)) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return {
    port,
    log: () => log,
    // The whole group: bash, npx and the server it started.
    stop: () => {
      if (server.pid && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
    },
  }
}
