// Exercise-check speed: a typical exercise (a network with a member container, and a running
// container with a published port) checked end to end by the engine, over 100 runs, against a
// real Docker daemon over its unix socket (by default the host's, standing in for a sandbox
// node: the same Engine API, the same reads). Everything it creates is named qbench-* and
// removed afterwards.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/checks.ts
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { checkSchema } from '../../lib/checks/kinds'
import { runChecks } from '../../lib/checks/run.server'
import type { CheckTarget, ExecOutput } from '../../lib/checks/target'
import { dockerClientForSocket } from '../../lib/docker/inspect.server'

export type ChecksBench = { check_ms_p50: number; check_ms_p95: number }

const run = promisify(execFile)
const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim()
const percentile = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10

async function pickImage(): Promise<string> {
  for (const image of ['quai/lesson-busybox:latest', 'quai-test/busybox:latest']) {
    try {
      await docker('image', 'inspect', image)
      return image
    } catch {
      // try the next one
    }
  }
  throw new Error('no busybox image on this daemon: run `npm run images:build` (or the checks integration tests, which import one)')
}

export async function benchChecks(options: { runs?: number; socketPath?: string; log?: (line: string) => void } = {}): Promise<ChecksBench> {
  const runs = Math.max(50, options.runs ?? 100)
  const log = options.log ?? ((line: string) => console.log(line))
  const prefix = `qbench-${process.pid.toString(36)}`
  const net = `${prefix}-tp-network`
  const member = `${prefix}-test-server`
  const web = `${prefix}-web`
  const image = await pickImage()
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))
  const cleanup = async () => {
    await docker('rm', '-f', member, web).catch(() => '')
    await docker('network', 'rm', net).catch(() => '')
    fs.rmSync(workdir, { recursive: true, force: true })
  }
  try {
    await docker('network', 'create', net)
    await docker('run', '-d', '--name', member, '--network', net, image, 'sleep', '3600')
    await docker('run', '-d', '--name', web, '-p', '127.0.0.1::80', image, 'sleep', '3600')
    const checks = [
      { kind: 'network', name: net, driver: 'bridge', members: [member] },
      { kind: 'container', name: member, running: true, networks: [net] },
      { kind: 'container', name: web, running: true, ports: [{ container: 80 }] },
    ].map((c) => checkSchema.parse(c))
    const target: CheckTarget = {
      node: 'node1',
      docker: await dockerClientForSocket(options.socketPath ?? '/var/run/docker.sock'),
      exec: async (): Promise<ExecOutput> => ({ exitCode: 0, stdout: '', stderr: '' }),
    }
    const once = async () => {
      const started = performance.now()
      const result = await runChecks(checks, () => target, { defaultNode: 'node1', timeoutSeconds: 20 })
      const ms = performance.now() - started
      if (!result.passed) throw new Error(`the benchmark exercise should pass: ${result.assertions.filter((a) => !a.passed).map((a) => a.id).join(', ')}`)
      return { ms, assertions: result.totalCount }
    }
    for (let i = 0; i < 5; i++) await once()
    const times: number[] = []
    let assertions = 0
    for (let i = 0; i < runs; i++) {
      const r = await once()
      times.push(r.ms)
      assertions = r.assertions
    }
    times.sort((a, b) => a - b)
    const result = { check_ms_p50: percentile(times, 50), check_ms_p95: percentile(times, 95) }
    log(`checks: typical exercise (3 checks, ${assertions} assertions: network + member, 2 containers), ${runs} runs on ${options.socketPath ?? '/var/run/docker.sock'}`)
    log(`checks: p50 ${result.check_ms_p50} ms, p95 ${result.check_ms_p95} ms, max ${Math.round(times[times.length - 1]! * 10) / 10} ms (target: p50 ≤ 100 ms, p95 ≤ 300 ms)`)
    return result
  } finally {
    await cleanup()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchChecks()
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
