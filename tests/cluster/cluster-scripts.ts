// The simulated cluster's scripts (scripts/cluster/*.sh, docs/cluster.md) and each node's
// engine on its unix socket, from a test on the host. No server-only module: the browser test
// (stack.spec.ts, run by Playwright) imports it too.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const root = path.resolve(import.meta.dirname, '../..')
export const clusterRunDir = process.env.QUAI_CLUSTER_RUN_DIR ?? '/run/quai-cluster'

export const nodeSocket = (n: number) => path.join(clusterRunDir, `node-${n}`, 'docker.sock')

/** Runs one of scripts/cluster/*.sh; resolves with its stdout (key=value lines) and stderr. */
export async function clusterScript(script: string, args: string[] = [], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string; values: Record<string, string> }> {
  const { stdout, stderr } = await run('bash', [path.join(root, 'scripts/cluster', script), ...args], { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
  const values: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const m = /^([a-z0-9_]+)=(.*)$/.exec(line.trim())
    if (m?.[1] !== undefined) values[m[1]] = m[2] ?? ''
  }
  return { stdout, stderr, values }
}

/** `docker -H unix://<node N's socket> ...` from the host. */
export async function nodeDocker(n: number, args: string[], timeoutMs = 180_000): Promise<string> {
  const { stdout } = await run('docker', ['-H', `unix://${nodeSocket(n)}`, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
  return stdout.trim()
}

export const ms = (t0: number) => Math.round(performance.now() - t0)
