// Shared set-up of the sandbox integration tests: a namespace of their own on the host's
// engine (labels, state folders, cgroup parent), so that nothing here touches the sandboxes
// of a Quai server running on the same machine, nor those of another test file.
import fs from 'node:fs'
import path from 'node:path'
import { getDb } from '../../../lib/db/client.server'
import { hostEngine } from '../../../lib/docker/client.server'
import { listContainersByLabel, listNetworksByLabel } from '../../../lib/docker/engine.server'
import { sandboxConfig, setSandboxConfigForTests, type SandboxConfig } from '../../../lib/sandbox/config.server'
import { readMounts } from '../../../lib/sandbox/host.server'
import { endSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'

export function withTestNamespace(file: string, overrides: Partial<SandboxConfig> = {}) {
  const namespace = `quai-it-${file}-${process.pid}`.slice(0, 30)
  process.env.QUAI_SANDBOX_NAMESPACE = namespace
  setSandboxConfigForTests({
    namespace,
    stateDir: `/var/lib/quai-it/${namespace}`,
    keptDir: `/var/lib/quai-it/${namespace}.kept`,
    runDir: `/run/quai-it/${namespace}`,
    cgroupParent: namespace,
    memoryMb: 768,
    cpus: 1,
    pids: 512,
    diskMb: 1024,
    maxConcurrent: 50,
    createsPerHour: 1000,
    poolSize: 0,
    poolUserId: `pool-${namespace}`,
    ...overrides,
  })
  setSandboxPlacementForTests(null)
  return namespace
}

export function setConfig(overrides: Partial<SandboxConfig>) {
  setSandboxConfigForTests({ ...sandboxConfig(), ...overrides })
}

export async function createUser(id: string) {
  const db = await getDb()
  await db.user.upsert({ where: { id }, create: { id, name: id, email: `${id}@test.quai.invalid` }, update: {} })
  return id
}

/** Everything the sandbox left on this host, by label, folder, cgroup and mount. */
export async function leftovers(sandboxId: string) {
  const config = sandboxConfig()
  const docker = hostEngine()
  const containers = await listContainersByLabel(docker, { 'quai.sandbox': sandboxId })
  const networks = await listNetworksByLabel(docker, { 'quai.sandbox': sandboxId })
  const folders = [path.join(config.stateDir, sandboxId), path.join(config.runDir, sandboxId)].filter((p) => fs.existsSync(p))
  const cgroups = fs
    .readdirSync('/sys/fs/cgroup')
    .map((c) => path.join('/sys/fs/cgroup', c, config.cgroupParent, sandboxId))
    .filter((p) => fs.existsSync(p))
  const mounts = readMounts()
    .map((m) => m.mountPoint)
    .filter((m) => m.includes(sandboxId))
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.name), folders, cgroups, mounts }
}

export const nothingLeft = { containers: [], networks: [], folders: [], cgroups: [], mounts: [] }

/** End every sandbox of this namespace, whatever state the tests left them in. */
export async function cleanUpNamespace() {
  const db = await getDb()
  const placement = sandboxPlacement()
  const rows = await db.sandbox.findMany({ where: { placement: placement.name, status: { in: ['starting', 'running', 'stopping'] } }, select: { id: true } })
  for (const r of rows) await endSandbox(r.id, 'stopped').catch(() => undefined)
  for (const id of await placement.listPlaced().catch(() => [] as string[])) await placement.destroy(id).catch(() => undefined)
  const config = sandboxConfig()
  for (const dir of [config.stateDir, config.runDir, config.keptDir]) fs.rmSync(dir, { recursive: true, force: true })
  for (const c of fs.readdirSync('/sys/fs/cgroup')) {
    try {
      fs.rmdirSync(path.join('/sys/fs/cgroup', c, config.cgroupParent))
    } catch {
      // not there, or a symlinked hierarchy
    }
  }
}

export const dockerAvailable = fs.existsSync('/var/run/docker.sock')

/** Polls `test` every 200 ms until it holds; fails with `what` after `ms`. */
export async function until(what: string, test: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await test()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}
