import 'server-only'
import { ContainerNotRunningError, DockerDaemonUnavailableError, DockerReadAbortedError, isNotSwarmManagerError } from '../docker/errors.server'
import { probeInContainer, type ExecOutput } from '../docker/exec.server'
import {
  inspectContainer,
  inspectImage,
  inspectNetwork,
  inspectVolume,
  listConfigNames,
  listContainers,
  listImageTags,
  listNetworks,
  listSecretNames,
  listServices,
  listVolumes,
  readSwarm,
} from '../docker/reads.server'
import type { Assertion } from './assertions'
import { evaluateChecks } from './evaluate'
import { composeServices } from './evaluate/compose'
import { CheckError, CheckTimeoutError, DaemonUnavailableError } from './errors'
import { emptyNodeFacts, type NodeFacts, type Probe } from './facts'
import { runsCommands, type Check } from '../content/check-kinds'
import { webMetrics } from '../metrics/web.server'
import { checkLimits, clipText } from './limits'
import { emptyPlan, planCheck, type DeferredProbe, type NodePlan, type ProbeSpec } from './plan'
import {
  batchedProbeCommand,
  boundedCommand,
  commandProbe,
  dnsCommand,
  fileReadCommand,
  httpContainerCommand,
  httpNodeCommand,
  parseDns,
  parseFileRead,
  parseHttp,
  parseReach,
  reachCommand,
  shq,
  splitBatchedOutput,
} from './probes'
import type { CheckTarget, TargetResolver } from './target'

// The check engine: plan what to read, read it all in parallel within the exercise's time
// budget, then evaluate (pure). Reads only: inspects and lists on the daemon, plus the
// read-only probes (lookups, connections, HTTP requests, file reads) and the author's own
// command/script checks, which the UI marks as running commands.

export interface CheckRunResult {
  passed: boolean
  passedCount: number
  totalCount: number
  assertions: Assertion[]
  durationMs: number
  /** The exercise has command or script checks: something ran in the sandbox. */
  ranCommands: boolean
  checkedAt: string
}

export interface RunOptions {
  /** The node checks target unless they name one (the exercise's node, else the lesson's first). */
  defaultNode: string
  /** Budget in seconds for the whole run (the exercise's timeoutSeconds). */
  timeoutSeconds: number
  signal?: AbortSignal
  /**
   * Live mode: leave command and script checks out (they would run commands on every daemon
   * event, and their own containers would trigger the next run). Each shows as pending.
   */
  skipCommands?: boolean
}

/** Keeps every read inside the budget and remembers what is still pending, for the timeout message. */
class Budget {
  readonly controller = new AbortController()
  readonly deadline: number
  private readonly pending = new Map<number, string>()
  private next = 0
  private timer: NodeJS.Timeout | undefined
  private expired: Promise<never>

  constructor(readonly seconds: number, outer?: AbortSignal) {
    this.deadline = Date.now() + seconds * 1000
    this.expired = new Promise<never>((_, reject) => {
      const fire = () => {
        this.controller.abort()
        reject(new CheckTimeoutError(seconds, [...new Set(this.pending.values())]))
      }
      this.timer = setTimeout(fire, seconds * 1000)
      outer?.addEventListener('abort', fire, { once: true })
    })
    this.expired.catch(() => {})
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now())
  }

  /** Race a read against the deadline; `what` names it in a timeout message. */
  async run<T>(what: string, read: () => Promise<T>): Promise<T> {
    const id = this.next++
    this.pending.set(id, what)
    try {
      return await Promise.race([read(), this.expired])
    } finally {
      this.pending.delete(id)
    }
  }

  dispose(): void {
    clearTimeout(this.timer)
  }
}

async function execOnNode(target: CheckTarget, budget: Budget, command: string): Promise<ExecOutput> {
  try {
    return await target.exec(command, { timeoutMs: budget.remainingMs(), signal: budget.signal })
  } catch (error) {
    if (error instanceof CheckError || budget.signal.aborted) throw error
    // The node's own shell failed to start: the node (the sandbox container) is gone.
    throw new DaemonUnavailableError(target.node, error)
  }
}

type Blocked = { blocked: 'from-missing' | 'from-stopped' }

/** A probe's command inside one of the learner's containers; a missing or stopped container blocks it. */
async function inContainer(target: CheckTarget, budget: Budget, from: string, cmd: string[], maxBytes: number): Promise<ExecOutput | Blocked> {
  try {
    return await probeInContainer(target.docker, from, cmd, { timeoutMs: budget.remainingMs(), signal: budget.signal, maxBytes })
  } catch (error) {
    if (error instanceof ContainerNotRunningError) return { blocked: error.missing ? 'from-missing' : 'from-stopped' }
    throw error
  }
}

/** Every probe but DNS and reach, which runContainerProbes batches per container. */
async function runProbe(target: CheckTarget, budget: Budget, spec: Exclude<ProbeSpec, ContainerProbeSpec>): Promise<Probe> {
  switch (spec.type) {
    case 'http': {
      if (spec.from) {
        const out = await inContainer(target, budget, spec.from, httpContainerCommand(spec.request), checkLimits.execOutputBytes)
        return 'blocked' in out ? { kind: 'http', outcome: out.blocked } : { kind: 'http', ...parseHttp(out.exitCode, out.stdout, out.stderr) }
      }
      const out = await execOnNode(target, budget, httpNodeCommand(spec.request))
      return { kind: 'http', ...parseHttp(out.exitCode, out.stdout, out.stderr) }
    }
    case 'node-file': {
      const out = await execOnNode(target, budget, fileReadCommand(spec.path))
      return { kind: 'file', ...parseFileRead(out.stdout) }
    }
    case 'command': {
      // Leave a second of the budget to collect the result and say it timed out.
      const seconds = Math.max(1, Math.floor(budget.remainingMs() / 1000) - 1)
      const out = await execOnNode(target, budget, boundedCommand(spec.run, seconds))
      return { kind: 'command', ...commandProbe(out.exitCode, out.stdout, out.stderr) }
    }
  }
}

type ContainerProbeSpec = Extract<ProbeSpec, { type: 'container-dns' | 'container-reach' }>

const probeCommand = (spec: ContainerProbeSpec) => (spec.type === 'container-dns' ? dnsCommand(spec.host) : reachCommand(spec.host, spec.port))

function containerProbe(spec: ContainerProbeSpec, out: { exitCode: number; stdout: string }): Probe {
  return spec.type === 'container-dns' ? { kind: 'dns', ...parseDns(out.exitCode, out.stdout) } : { kind: 'reach', ...parseReach(out.exitCode, out.stdout, spec.port) }
}

/** Several DNS and reach probes from one container, in one exec. */
async function runContainerProbes(target: CheckTarget, budget: Budget, from: string, specs: ContainerProbeSpec[]): Promise<Probe[]> {
  const only = specs.length === 1 ? specs[0] : undefined
  const out = await inContainer(target, budget, from, only ? probeCommand(only) : batchedProbeCommand(specs.map(probeCommand)), checkLimits.probeOutputBytes)
  if ('blocked' in out) return specs.map((spec) => (spec.type === 'container-dns' ? { kind: 'dns', outcome: out.blocked } : { kind: 'reach', outcome: out.blocked }))
  const parts = only ? [out] : splitBatchedOutput(specs.length, out.exitCode, out.stdout)
  return specs.map((spec, i) => containerProbe(spec, parts[i]!))
}

const composeFileCandidates = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']

/** All the given files, each preceded by a marker line; `first` stops at the first that exists. */
function composeFilesCommand(paths: string[], first: boolean): string {
  return [
    'found=0',
    `for f in ${paths.map(shq).join(' ')}; do`,
    `  if [ -f "$f" ]; then echo ---QUAI-FILE---; head -c ${checkLimits.fileBytes + 1} -- "$f"; echo; found=1;` + (first ? ' break;' : '') + ' fi',
    'done',
    'if [ "$found" = 0 ]; then echo __QUAI_MISSING__; fi',
  ].join('\n')
}

async function runDeferred(target: CheckTarget, budget: Budget, facts: NodeFacts, spec: DeferredProbe): Promise<Probe | null> {
  if (spec.type === 'volume-file') {
    const volume = facts.volumes.get(spec.volume)
    if (!volume?.mountpoint) return null
    // The daemon runs on the node, so the volume's mount point is a folder the node can read.
    const out = await execOnNode(target, budget, fileReadCommand(`${volume.mountpoint}/${spec.path}`))
    return { kind: 'file', ...parseFileRead(out.stdout) }
  }
  const services = composeServices(spec.project, facts)
  const needed = spec.always || spec.servicesWithoutContainer.some((s) => !services.get(s)?.length)
  if (!needed) return null
  const fromLabels = ([...services.values()].flat()[0]?.compose?.configFiles ?? '').split(',').filter(Boolean)
  const paths = spec.file ? [spec.file] : fromLabels.length ? fromLabels : composeFileCandidates
  const out = await execOnNode(target, budget, composeFilesCommand(paths, !spec.file && !fromLabels.length))
  if (out.stdout.trim() === '__QUAI_MISSING__') return { kind: 'file', outcome: 'missing' }
  const content = clipText(out.stdout, checkLimits.composeFilesBytes)
  if (content.truncated) return { kind: 'file', outcome: 'too-large', bytes: checkLimits.composeFilesBytes + 1 }
  return { kind: 'file', outcome: 'read', content: content.text, mtime: 0 }
}

/** Read everything one node's checks need: two rounds of parallel reads. */
async function gatherNodeFacts(target: CheckTarget, plan: NodePlan, budget: Budget): Promise<NodeFacts> {
  const facts = emptyNodeFacts(target.node)
  const docker = target.docker
  const signal = budget.signal
  const reads: Promise<unknown>[] = []
  const read = <T>(what: string, fn: () => Promise<T>, store: (value: T) => void) => reads.push(budget.run(what, fn).then(store))
  const listed = new Map<string, Record<string, string>>()

  // Round 1: everything named by the checks, and the probes that need nothing else.
  for (const name of plan.containers) read(`container ${name}`, () => inspectContainer(docker, name, signal), (c) => facts.containers.set(name, c))
  for (const query of plan.labelQueries) {
    read(`containers ${query.replace(/\n/g, ' ')}`, () => listContainers(docker, query.split('\n'), signal), (list) => {
      facts.labelQueries.set(query, list.map((c) => c.name))
      for (const c of list) listed.set(c.name, c.labels)
    })
  }
  for (const name of plan.networks) read(`network ${name}`, () => inspectNetwork(docker, name), (n) => facts.networks.set(name, n))
  for (const name of plan.volumes) read(`volume ${name}`, () => inspectVolume(docker, name, signal), (v) => facts.volumes.set(name, v))
  for (const name of plan.images) read(`image ${name}`, () => inspectImage(docker, name, signal), (i) => facts.images.set(name, i))
  if (plan.swarm) read('swarm', () => readSwarm(docker, plan.swarmNodes, signal), (s) => (facts.swarm = s))
  // Swarm lists answer 503 on a node that is not a manager; the evaluation says so from the swarm facts.
  const swarmList = <T>(fn: () => Promise<T>) => fn().catch((error) => (isNotSwarmManagerError(error) ? null : Promise.reject(error)))
  if (plan.services) read('services', () => swarmList(() => listServices(docker, signal)), (s) => (facts.services = s))
  if (plan.secrets) read('secrets', () => swarmList(() => listSecretNames(docker, signal)), (s) => (facts.secrets = s))
  if (plan.configs) read('configs', () => swarmList(() => listConfigNames(docker, signal)), (s) => (facts.configs = s))
  if (plan.networkList) read('networks', () => listNetworks(docker, signal), (list) => (facts.networkIdToName = new Map(list.map((n) => [n.id, n.name]))))
  // DNS and reach probes from the same container share one exec.
  const inContainers = new Map<string, ContainerProbeSpec[]>()
  for (const spec of plan.probes) {
    if (spec.type === 'container-dns' || spec.type === 'container-reach') inContainers.set(spec.from, [...(inContainers.get(spec.from) ?? []), spec])
    else read(probeLabel(spec), () => runProbe(target, budget, spec), (p) => facts.probes.set(spec.key, p))
  }
  for (const [from, specs] of inContainers) {
    read(specs.map(probeLabel).join(', '), () => runContainerProbes(target, budget, from, specs), (probes) => probes.forEach((p, i) => facts.probes.set(specs[i]!.key, p)))
  }
  await Promise.all(reads)

  // Round 2: containers found by label, near-miss names for what was missing, and probes
  // that needed round 1 (a volume's mount point, a Compose project's files).
  const round2: Promise<unknown>[] = []
  const read2 = <T>(what: string, fn: () => Promise<T>, store: (value: T) => void) => round2.push(budget.run(what, fn).then(store))
  for (const name of listed.keys()) {
    if (!facts.containers.has(name)) read2(`container ${name}`, () => inspectContainer(docker, name, signal), (c) => facts.containers.set(name, c))
  }
  if ([...facts.containers.values()].includes(null)) read2('container names', () => listContainers(docker, [], signal), (l) => (facts.otherNames.containers = l.map((c) => c.name)))
  if ([...facts.networks.values()].includes(null)) read2('network names', () => listNetworks(docker, signal), (l) => (facts.otherNames.networks = l.map((n) => n.name)))
  if ([...facts.volumes.values()].includes(null)) read2('volume names', () => listVolumes(docker, signal), (l) => (facts.otherNames.volumes = l.map((v) => v.name)))
  if ([...facts.images.values()].includes(null)) read2('image names', () => listImageTags(docker, signal), (l) => (facts.otherNames.images = l))
  await Promise.all(round2)

  // Round 2b: the networks the containers turned out to be attached to (isolation).
  if (plan.containerNetworks) {
    const attached = new Set([...facts.containers.values()].flatMap((c) => c?.networks.map((n) => n.name) ?? []))
    const unknown = [...attached].filter((name) => name !== 'none' && name !== 'host' && !facts.networks.has(name))
    await Promise.all(unknown.map((name) => budget.run(`network ${name}`, () => inspectNetwork(docker, name)).then((n) => facts.networks.set(name, n))))
  }

  const round3 = plan.deferred.map((spec) =>
    budget.run(spec.type === 'volume-file' ? `file ${spec.path} in volume ${spec.volume}` : `Compose files of ${spec.project}`, () => runDeferred(target, budget, facts, spec)).then((p) => {
      if (p) facts.probes.set(spec.key, p)
    }),
  )
  await Promise.all(round3)
  return facts
}

function probeLabel(spec: ProbeSpec): string {
  switch (spec.type) {
    case 'container-dns':
      return `lookup of ${spec.host} from ${spec.from}`
    case 'container-reach':
      return `connection from ${spec.from} to ${spec.host}${spec.port ? `:${spec.port}` : ''}`
    case 'http':
      return `${spec.request.method} ${spec.request.url}`
    case 'node-file':
      return `file ${spec.path}`
    case 'command':
      return `command ${spec.run.length > 40 ? `${spec.run.slice(0, 39)}…` : spec.run}`
  }
}

/**
 * Run an exercise's checks. Throws CheckTimeoutError when the budget runs out and
 * DaemonUnavailableError when a node's daemon goes away: never a partial result.
 */
export async function runChecks(checks: readonly Check[], resolveTarget: TargetResolver, options: RunOptions): Promise<CheckRunResult> {
  const started = performance.now()
  const budget = new Budget(options.timeoutSeconds, options.signal)
  try {
    const byNode = new Map<string, { plan: NodePlan; items: { check: Check; index: number }[] }>()
    checks.forEach((check, index) => {
      if (options.skipCommands && runsCommands(check)) return
      const node = check.node ?? options.defaultNode
      const entry = byNode.get(node) ?? { plan: emptyPlan(), items: [] }
      planCheck(entry.plan, check, index)
      entry.items.push({ check, index })
      byNode.set(node, entry)
    })

    const factsByNode = new Map<string, NodeFacts>()
    await Promise.all(
      [...byNode.entries()].map(async ([node, { plan }]) => {
        try {
          const target = await budget.run(`node ${node}`, async () => resolveTarget(node))
          factsByNode.set(node, await gatherNodeFacts(target, plan, budget))
        } catch (error) {
          if (error instanceof DockerReadAbortedError || (budget.signal.aborted && !(error instanceof CheckError))) {
            throw new CheckTimeoutError(options.timeoutSeconds, [])
          }
          // The daemon went away: say which node's.
          throw error instanceof DockerDaemonUnavailableError ? new DaemonUnavailableError(node, error) : error
        }
      }),
    )

    const evaluated = evaluateChecks(
      checks.flatMap((check, index) => (options.skipCommands && runsCommands(check) ? [] : [{ check, index, facts: factsByNode.get(check.node ?? options.defaultNode)! }])),
    )
    if (options.skipCommands) {
      checks.forEach((check, index) => {
        if (!runsCommands(check)) return
        const label = check.label ?? (check.kind === 'command' ? check.run.slice(0, 100) : '')
        evaluated.push({ id: `${check.kind}:${index}`, check: index, passed: false, pending: true, key: 'command.notLive', params: { label } })
      })
      evaluated.sort((a, b) => a.check - b.check)
    }
    const passedCount = evaluated.filter((a) => a.passed).length
    return {
      passed: evaluated.length > 0 && passedCount === evaluated.length,
      passedCount,
      totalCount: evaluated.length,
      assertions: evaluated,
      durationMs: Math.round(performance.now() - started),
      ranCommands: checks.some(runsCommands),
      checkedAt: new Date().toISOString(),
    }
  } finally {
    budget.dispose()
    // Live mode is the one run that leaves command checks out; every other run is a click.
    webMetrics().checkSeconds.observe({ kind: options.skipCommands ? 'live' : 'click' }, (performance.now() - started) / 1000)
  }
}
