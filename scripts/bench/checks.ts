// Exercise-check speed, two figures:
//   check_ms_p50/p95             a typical curriculum exercise (reseaux-docker/reseaux-par-defaut
//                                #bridge-personnalise: a network with two members, two running
//                                containers, a DNS lookup and a TCP connection made from inside
//                                one of them) checked on a real sandbox, exactly as "Vérifier"
//                                does it (its inner daemon, commands through quai-enter), after
//                                the exercise's own solution ran; nothing recorded.
//   check_declarative_ms_p50/p95 three read-only checks (network + member, two containers) on
//                                this host's daemon: the Engine reads alone.
// It works in a namespace of its own (quai-bench-checks) on a throwaway database, and removes
// everything it made (containers named qbench-* on the host).
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/checks.ts
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { findExercise } from '../../lib/checks/exercise.server'
import { checkSchema } from '../../lib/content/check-kinds'
import { runChecks } from '../../lib/checks/run.server'
import { getSandboxAccess } from '../../lib/checks/check-targets.server'
import { getDb } from '../../lib/db/client.server'
import { setSandboxConfigForTests } from '../../lib/sandbox/config.server'
import { execInNode } from '../../lib/sandbox/node-access.server'
import { endSandbox, openSandbox } from '../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../lib/sandbox/state.server'
import { openThrowawayDatabase } from './db'
import { enterBenchNamespace, placeThroughAgent } from './sandbox'
import type { CheckTarget, ExecOutput } from '../../lib/checks/target'
import { dockerClientForSocket } from '../../lib/docker/client.server'

export type ChecksBench = { check_ms_p50: number | null; check_ms_p95: number | null; check_declarative_ms_p50: number; check_declarative_ms_p95: number }

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

type Options = { runs?: number; socketPath?: string; log?: (line: string) => void }

export async function benchChecks(options: Options = {}): Promise<ChecksBench> {
  const log = options.log ?? ((line: string) => console.log(line))
  let real: { check_ms_p50: number | null; check_ms_p95: number | null } = { check_ms_p50: null, check_ms_p95: null }
  try {
    real = await benchCurriculumExercise(options)
  } catch (error) {
    log(`checks: the curriculum exercise on a real sandbox could not run: ${(error as Error).message}`)
  }
  return { ...real, ...(await benchDeclarative(options)) }
}

/** Five runs to warm up, then `runs` timed ones, sorted. */
async function timeRuns(once: () => Promise<{ ms: number; assertions: number }>, runs: number): Promise<{ times: number[]; assertions: number }> {
  for (let i = 0; i < 5; i++) await once()
  const times: number[] = []
  let assertions = 0
  for (let i = 0; i < runs; i++) {
    const r = await once()
    times.push(r.ms)
    assertions = r.assertions
  }
  return { times: times.sort((a, b) => a - b), assertions }
}

const typical = { course: 'reseaux-docker', lesson: 'reseaux-par-defaut', exercise: 'bridge-personnalise' }

async function benchCurriculumExercise(options: Options): Promise<{ check_ms_p50: number; check_ms_p95: number }> {
  const runs = Math.max(50, options.runs ?? 100)
  const log = options.log ?? ((line: string) => console.log(line))
  const database = await openThrowawayDatabase('checks')
  const namespace = 'quai-bench-checks'
  const previous = enterBenchNamespace(namespace, { maxConcurrent: 100, createsPerHour: 1000 })
  const userId = `${namespace}-${process.pid}`
  let sandboxId: string | null = null
  let stopAgent = async () => undefined as void
  try {
    stopAgent = await placeThroughAgent(log)
    const db = await getDb()
    await db.user.create({ data: { id: userId, name: userId, email: `${userId}@bench.quai.invalid` } })
    await sandboxPlacement().prepare()
    const { lesson, exercise, defaultNode } = findExercise(typical.course, typical.lesson, typical.exercise)
    const nodes = lesson.frontmatter?.sandbox?.nodes ?? [{ name: 'node1', role: 'standalone' as const }]
    const sandbox = await openSandbox(userId, { lessonKey: lesson.key, layout: { nodes: nodes.map((n) => ({ name: n.name, role: n.role ?? 'standalone' })) } })
    sandboxId = sandbox.id
    const solved = await execInNode(sandbox.id, defaultNode, ['bash', '-c', exercise.solution ?? 'true'], { timeoutMs: 180_000 })
    if (solved.exitCode !== 0) throw new Error(`the solution failed: ${solved.stderr.slice(-400)}`)
    const access = getSandboxAccess()
    const once = async () => {
      const started = performance.now()
      await access.requireRunning(userId, sandbox.id)
      const result = await runChecks(exercise.checks, (node) => access.target(sandbox.id, node, typical.lesson), { defaultNode, timeoutSeconds: exercise.timeoutSeconds })
      const ms = performance.now() - started
      if (!result.passed) throw new Error(`the exercise should pass after its solution: ${result.assertions.filter((a) => !a.passed).map((a) => a.id).join(', ')}`)
      return { ms, assertions: result.totalCount }
    }
    const { times, assertions } = await timeRuns(once, runs)
    const result = { check_ms_p50: percentile(times, 50), check_ms_p95: percentile(times, 95) }
    log(`checks: ${typical.course}/${typical.lesson}#${typical.exercise} (${exercise.checks.length} checks, ${assertions} assertions, DNS and TCP from inside a container), ${runs} runs on a real sandbox`)
    log(`checks: p50 ${result.check_ms_p50} ms, p95 ${result.check_ms_p95} ms, max ${Math.round(times[times.length - 1]! * 10) / 10} ms (target: p50 ≤ 100 ms, p95 ≤ 300 ms)`)
    return result
  } finally {
    if (sandboxId) await endSandbox(sandboxId, 'stopped').catch(() => undefined)
    await stopAgent()
    await (await getDb()).user.deleteMany({ where: { id: userId } }).catch(() => undefined)
    setSandboxConfigForTests(previous)
    setSandboxPlacementForTests(null)
    await database.release()
  }
}

async function benchDeclarative(options: Options): Promise<{ check_declarative_ms_p50: number; check_declarative_ms_p95: number }> {
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
      docker: dockerClientForSocket(options.socketPath ?? '/var/run/docker.sock'),
      exec: async (): Promise<ExecOutput> => ({ exitCode: 0, stdout: '', stderr: '' }),
    }
    const once = async () => {
      const started = performance.now()
      const result = await runChecks(checks, () => target, { defaultNode: 'node1', timeoutSeconds: 20 })
      const ms = performance.now() - started
      if (!result.passed) throw new Error(`the benchmark exercise should pass: ${result.assertions.filter((a) => !a.passed).map((a) => a.id).join(', ')}`)
      return { ms, assertions: result.totalCount }
    }
    const { times, assertions } = await timeRuns(once, runs)
    const result = { check_declarative_ms_p50: percentile(times, 50), check_declarative_ms_p95: percentile(times, 95) }
    log(`checks: read-only checks alone (3 checks, ${assertions} assertions: network + member, 2 containers), ${runs} runs on ${options.socketPath ?? '/var/run/docker.sock'}`)
    log(`checks: p50 ${result.check_declarative_ms_p50} ms, p95 ${result.check_declarative_ms_p95} ms, max ${Math.round(times[times.length - 1]! * 10) / 10} ms`)
    return result
  } finally {
    await cleanup()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchChecks()
    .then((result) => {
      console.log(JSON.stringify(result))
      process.exit(0)
    })
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
