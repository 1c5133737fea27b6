// A host that cannot keep sandboxes in bounds gets none: when the firewall rules, the bounded
// disk or the per-sandbox cgroup cannot be set up, Quai refuses to create sandboxes with what
// failed and how to fix it, unless QUAI_SANDBOX_UNSAFE_ALLOW_MISSING names the piece
// (development only). Every failure here is real, made for this test only:
//  - iptables, ip6tables and mkfs.ext4 missing: this process's PATH leaves them out;
//  - a read-only cgroupfs: a child process in a mount namespace of its own where
//    /sys/fs/cgroup is remounted read-only (as in a container without a writable cgroupfs).
// And on this machine (root, everything installed) every piece is there: nothing refuses.
// Needs root, Docker and `npm run images:build`.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '../../../lib/db/client.server'
import { ApiError, apiErrorOf } from '../../../lib/http/api.server'
import { parseSandboxConfig, sandboxConfig, SandboxConfigError } from '../../../lib/sandbox/config.server'
import type { LocalPlacement } from '../../../lib/sandbox/local-placement.server'
import type { LocalPlacementStatus } from '../../../lib/sandbox/local-setup.server'
import { openSandbox, stopSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { SandboxUnavailableError } from '../../../lib/sandbox/types'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, setConfig, withTestNamespace } from '../sandbox/support'

const run = promisify(execFile)
const namespace = withTestNamespace('hset')
const realPath = process.env.PATH ?? ''

/** A PATH with the tools Quai runs on the host, except those named. */
function pathWithout(missing: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-path-'))
  for (const tool of ['mount', 'umount', 'ip', 'iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore', 'mkfs.ext4', 'mkfs.btrfs', 'btrfs']) {
    if (missing.includes(tool)) continue
    const found = realPath.split(':').map((d) => path.join(d, tool)).find((p) => fs.existsSync(p))
    if (found) fs.symlinkSync(found, path.join(dir, tool))
  }
  return dir
}

function freshPlacement(): LocalPlacement {
  setSandboxPlacementForTests(null)
  return sandboxPlacement() as LocalPlacement
}

async function refusal(run: () => Promise<unknown>): Promise<SandboxUnavailableError> {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SandboxUnavailableError)
  return error as SandboxUnavailableError
}

type ProbeResult = { ok: true; status: LocalPlacementStatus } | { ok: false; code: string; message: string; fix: string }

/** Prepare a placement in a child process whose cgroupfs is read-only (its own mount namespace). */
async function prepareWithReadOnlyCgroups(allowMissing: string): Promise<ProbeResult> {
  const config = sandboxConfig()
  const readOnly = 'for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do mount -o remount,bind,ro "$d" || exit 3; done; exec "$0" "$@"'
  const { stdout } = await run(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', readOnly, process.execPath, '--import', 'tsx', '--import', './scripts/node/register.mjs', 'tests/integration/sandbox/prepare-probe.ts'],
    {
      timeout: 120_000,
      env: {
        ...process.env,
        QUAI_SANDBOX_NAMESPACE: namespace,
        QUAI_SANDBOX_STATE_DIR: config.stateDir,
        QUAI_SANDBOX_RUN_DIR: config.runDir,
        QUAI_SANDBOX_CGROUP_PARENT: config.cgroupParent,
        QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: allowMissing,
      },
    },
  )
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ProbeResult
}

describe.sequential('fail closed when the host cannot keep sandboxes in bounds', () => {
  beforeAll(async () => {
    await createUser('hset-a')
  })

  afterEach(() => {
    process.env.PATH = realPath
    setConfig({ allowMissing: [] })
    setSandboxPlacementForTests(null)
  })

  afterAll(async () => {
    await cleanUpNamespace()
  })

  it('reads QUAI_SANDBOX_UNSAFE_ALLOW_MISSING as a list of host pieces, empty by default', () => {
    expect(parseSandboxConfig({}).allowMissing).toEqual([])
    expect(parseSandboxConfig({ QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: ' firewall, DISK,firewall ' }).allowMissing).toEqual(['firewall', 'disk'])
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: 'firewall,everything' })).toThrow(SandboxConfigError)
    expect(() => parseSandboxConfig({ QUAI_SANDBOX_UNSAFE_ALLOW_MISSING: 'everything' })).toThrow(/QUAI_SANDBOX_UNSAFE_ALLOW_MISSING="everything": expected a comma-separated list of firewall, disk, cgroup/)
    expect(parseSandboxConfig({}).diskReserveMb).toBe(2048)
  })

  it('on this host (root, everything installed) has every piece: nothing refuses', async () => {
    const status = await freshPlacement().status()
    expect(status).toMatchObject({ cgroups: 'parent', disk: 'loop', hostFirewall: true })
    expect(status.warnings.filter((w) => w.includes('UNSAFE'))).toEqual([])
  })

  it('refuses sandboxes when iptables and mkfs.ext4 are missing, saying what failed and how to fix it', async () => {
    process.env.PATH = pathWithout(['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore', 'mkfs.ext4'])
    freshPlacement()
    const error = await refusal(() => openSandbox('hset-a'))
    expect(error.message).toMatch(/refuses to create sandboxes/)
    expect(error.message).toContain('bounded sandbox disks: mkfs.ext4 is missing')
    expect(error.message).toMatch(/host firewall: .*iptables/)
    expect(error.message).toContain('apt-get install -y e2fsprogs')
    expect(error.message).toContain('apt-get install -y iptables')
    expect(error.message).toContain('QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=disk,firewall')
    // The API answers 503 with the fix.
    const api = apiErrorOf(error) as ApiError
    expect(api).toBeInstanceOf(ApiError)
    expect(api.status).toBe(503)
    expect(api.code).toBe('host_setup')
    expect(String(api.details?.fix)).toContain('QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=disk,firewall')
    // Refused before anything was made.
    const db = await getDb()
    expect(await db.sandbox.count({ where: { userId: 'hset-a' } })).toBe(0)
  })

  it('refuses a sandbox when the firewall cannot be checked right before it starts', async () => {
    await freshPlacement().status()
    process.env.PATH = pathWithout(['iptables-save', 'ip6tables-save', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore'])
    const error = await refusal(() => openSandbox('hset-a'))
    expect(error.message).toMatch(/refuses to create this sandbox: host firewall: .*iptables/)
    const db = await getDb()
    const row = await db.sandbox.findFirstOrThrow({ where: { userId: 'hset-a' }, orderBy: { createdAt: 'desc' } })
    expect(row.status).toBe('failed')
    expect(await leftovers(row.id)).toEqual(nothingLeft)
  })

  it('starts sandboxes without the pieces QUAI_SANDBOX_UNSAFE_ALLOW_MISSING names, with a warning', async () => {
    process.env.PATH = pathWithout(['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore', 'mkfs.ext4'])
    setConfig({ allowMissing: ['disk'] })
    // Naming only one of the two missing pieces is not enough.
    freshPlacement()
    const error = await refusal(() => openSandbox('hset-a'))
    expect(error.message).toMatch(/host firewall/)
    expect(error.message).not.toMatch(/bounded sandbox disks/)
    setConfig({ allowMissing: ['disk', 'firewall'] })
    const status = await freshPlacement().status()
    expect(status).toMatchObject({ disk: 'dir', hostFirewall: false, cgroups: 'parent' })
    expect(status.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=disk: sandboxes start without bounded sandbox disks/), expect.stringMatching(/^QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=firewall: sandboxes start without host firewall/)]),
    )
    const view = await openSandbox('hset-a')
    expect(view.status).toBe('running')
    await stopSandbox('hset-a', view.id)
    expect(await leftovers(view.id)).toEqual(nothingLeft)
  })

  it('refuses sandboxes when the cgroup hierarchy is read-only, unless cgroup is allowed to be missing', async () => {
    const refused = await prepareWithReadOnlyCgroups('')
    expect(refused.ok).toBe(false)
    if (refused.ok) return
    expect(refused.code).toBe('host_setup')
    expect(refused.message).toMatch(/refuses to create sandboxes.*per-sandbox limits: cannot create \/sys\/fs\/cgroup\/\S+ \(EROFS\)/)
    expect(refused.fix).toContain('/sys/fs/cgroup mounted read-write')
    expect(refused.fix).toContain('QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=cgroup')

    const allowed = await prepareWithReadOnlyCgroups('cgroup')
    expect(allowed.ok).toBe(true)
    if (!allowed.ok) return
    expect(allowed.status.cgroups).toBe('per-container')
    expect(allowed.status.warnings.join('\n')).toMatch(/QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=cgroup: sandboxes start without per-sandbox limits/)
  })
})
