// The simulated cluster (docs/cluster.md): three Docker-in-Docker "hosts" on this machine's
// engine, a Swarm across them, a stack deployed on it, and a real quai-agent inside node 2
// making a real sandbox there (host → node → sandbox → the learner's container: Docker three
// levels deep). `npm run test:cluster`; root, Docker and `npm run images:build` needed.
// QUAI_CLUSTER_KEEP=1 leaves the cluster up afterwards (scripts/cluster/down.sh removes it).
import { execFile } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlacedSandbox } from '../../lib/sandbox/placement'
import type { RemotePlacement } from '../../lib/sandbox/remote-placement.server'
import { clusterScript, ms, nodeDocker, nodeSocket, root } from './cluster-scripts'
import { clusterAgentPlacement, createSmallSandbox, newSandboxId } from './support'

const sh = promisify(execFile)
const timings: Record<string, number> = {}
const ips: Record<number, string> = {}
const ipOf = (n: number): string => ips[n] ?? (() => { throw new Error(`no address for node ${n}`) })()

/** GET http://ip:port/ from the host: "status first-bytes" or the error. */
function get(ip: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get({ host: ip, port, path: '/', timeout: timeoutMs }, (response) => {
      let body = ''
      response.on('data', (d: Buffer) => (body += d.toString()))
      response.on('end', () => resolve(`${response.statusCode} ${body}`))
    })
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', (error) => resolve(`error ${error.message}`))
  })
}

async function waitForReplicas(service: string, want: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let replicas = ''
  while (Date.now() < deadline) {
    replicas = await nodeDocker(1, ['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}'])
    if (replicas.startsWith(want)) return
    await new Promise((r) => setTimeout(r, 250))
  }
  const tasks = await nodeDocker(1, ['service', 'ps', '--no-trunc', service, '--format', '{{.Node}} {{.CurrentState}} {{.Error}}'])
  throw new Error(`${service}: ${replicas} replicas after ${timeoutMs} ms\n${tasks}`)
}

describe.sequential('a simulated three-host Swarm cluster', () => {
  beforeAll(async () => {
    await clusterScript('down.sh')
    const t0 = performance.now()
    const up = await clusterScript('up.sh', ['3'])
    timings.cluster_up_total_ms = ms(t0)
    timings.cluster_up_ms = Number(up.values.up_ms)
    timings.image_load_ms = Number(up.values.load_ms)
    for (const n of [1, 2, 3]) ips[n] = up.values[`node_${n}_ip`] ?? ''
  })

  afterAll(async () => {
    console.log(`[cluster] timings ${JSON.stringify(timings)}`)
    await clusterScript('agent.sh', ['stop', '2']).catch(() => undefined)
    if (process.env.QUAI_CLUSTER_KEEP !== '1') await clusterScript('down.sh')
  })

  it('has three Ready nodes, node 1 the manager, with their labels, each engine on its own unix socket', async () => {
    const nodes = (await nodeDocker(1, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'])).split('\n').map((l) => l.trim()).sort()
    expect(nodes).toEqual(['node-1 Ready Active Leader', 'node-2 Ready Active', 'node-3 Ready Active'])
    const labels = await nodeDocker(1, ['node', 'inspect', 'node-1', 'node-2', 'node-3', '--format', '{{.Description.Hostname}} {{json .Spec.Labels}}'])
    const byNode = Object.fromEntries(labels.split('\n').map((l) => [l.split(' ')[0], JSON.parse(l.slice(l.indexOf(' ') + 1)) as Record<string, string>]))
    expect(byNode['node-1']).toMatchObject({ 'quai.db': 'true' })
    expect(byNode['node-1']['quai.sandboxes']).toBeUndefined()
    expect(byNode['node-2']).toMatchObject({ 'quai.sandboxes': 'true' })
    expect(byNode['node-3']).toMatchObject({ 'quai.sandboxes': 'true' })
    for (const n of [1, 2, 3]) {
      expect(await nodeDocker(n, ['info', '--format', '{{.Name}} {{.Swarm.LocalNodeState}}'])).toBe(`node-${n} active`)
      expect(await nodeDocker(n, ['image', 'inspect', '--format', '{{.Id}}', 'quai/lesson-nginx:latest'])).toMatch(/^sha256:/)
    }
    // Idempotent: a second up.sh changes nothing and loads nothing.
    const t0 = performance.now()
    const again = await clusterScript('up.sh', ['3'])
    timings.cluster_up_again_ms = ms(t0)
    expect(again.stderr).toContain('images already in every node')
  })

  it('deploys a stack: replicas on the sandbox nodes, reached from the host on their nodes and from node 1 over the overlay', async () => {
    const t0 = performance.now()
    await nodeDocker(1, ['stack', 'deploy', '--resolve-image', 'never', '-c', path.join(root, 'tests/cluster/fixtures/web-stack.yaml'), 'web'])
    await waitForReplicas('web_web', '2/2')
    timings.stack_deploy_ms = ms(t0)
    const placed = (await nodeDocker(1, ['service', 'ps', 'web_web', '--filter', 'desired-state=running', '--format', '{{.Node}}'])).split('\n').sort()
    expect(placed).toEqual(['node-2', 'node-3'])
    for (const n of [2, 3]) {
      await expect.poll(() => get(ipOf(n), 8080), { timeout: 30_000 }).toMatch(/^200 [\s\S]*Welcome to nginx/)
    }
    // Node 1 runs no replica: a container there finds both through Swarm's DNS on the overlay
    // (VXLAN between the nodes) and reaches each one.
    const probe = await nodeDocker(1, [
      'run', '--rm', '--network', 'web_front', 'quai/lesson-busybox:latest', 'sh', '-c',
      'for a in $(nslookup tasks.web | awk \'/^Address/ { print $NF }\' | grep -v :53); do echo "$a $(wget -qO- -T 5 http://$a/ | grep -c "Welcome to nginx")"; done',
    ])
    const answers = probe.split('\n').filter(Boolean)
    expect(answers).toHaveLength(2)
    for (const line of answers) expect(line).toMatch(/^10\.\d+\.\d+\.\d+ [1-9]\d*$/)
  })

  it('routes a published port through the mesh from a node with no replica (when the kernel has IPVS)', async (context) => {
    const { stdout } = await sh('docker', ['exec', 'quai-cluster-node-1', 'sh', '-c', 'test -e /proc/net/ip_vs && echo yes || echo no'])
    if (stdout.trim() !== 'yes') {
      // dockerd in each node: "Could not get ipvs family information from the kernel. It is
      // possible that ipvs is not enabled in your kernel. Native loadbalancing will not work".
      console.log('[cluster] routing mesh skipped: no IPVS in this kernel (/proc/net/ip_vs missing)')
      context.skip()
    }
    await nodeDocker(1, ['stack', 'deploy', '--resolve-image', 'never', '-c', path.join(root, 'tests/cluster/fixtures/web-stack-mesh.yaml'), 'mesh'])
    await waitForReplicas('mesh_web', '2/2')
    await expect.poll(() => get(ipOf(1), 8081), { timeout: 30_000 }).toMatch(/^200 /)
  })

  it('runs quai/sandbox with the Docker-in-Docker flags inside node 2 by hand, and docker run inside it', async () => {
    // Inside a node, CAP_SYS_RESOURCE is already out of the bounding set: dockerd refuses
    // `--cap-drop SYS_RESOURCE` ("capability not supported by your kernel or not available in
    // the current environment"), and --privileged fails writing "a *:* rwm" to devices.allow.
    const t0 = performance.now()
    await nodeDocker(2, [
      'run', '-d', '--name', 'level3-by-hand', '--cap-add', 'ALL',
      '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
      '--cgroupns', 'private', '-e', 'QUAI_ISOLATION=caps', '--mount', 'type=volume,target=/var/lib/docker', 'quai/sandbox:latest',
    ])
    try {
      await expect.poll(() => nodeDocker(2, ['exec', 'level3-by-hand', 'docker', 'version', '--format', '{{.Server.Version}}']).catch((e: Error) => e.message), { timeout: 60_000, interval: 200 }).toMatch(/^\d+\.\d+/)
      timings.level3_plain_daemon_ms = ms(t0)
      await sh('sh', ['-c', `docker -H unix://${nodeSocket(2)} save quai/lesson-busybox:latest | docker -H unix://${nodeSocket(2)} exec -i level3-by-hand docker load`])
      expect(await nodeDocker(2, ['exec', 'level3-by-hand', 'docker', 'run', '--rm', 'quai/lesson-busybox:latest', 'echo', 'plain-level-3-ok'])).toBe('plain-level-3-ok')
    } finally {
      await nodeDocker(2, ['rm', '-f', '-v', 'level3-by-hand'])
    }
  })

  it('makes a real sandbox on node 2 through a quai-agent running there, and runs Docker in it', async () => {
    // The host's lesson registry mirror, copied into node 2: the agent's mirror container
    // there serves the sandbox's `docker run busybox` as on a real host.
    const seed = await clusterScript('seed-registry.sh', ['2'])
    timings.registry_seed_ms = Number(seed.values.seed_ms)
    await clusterScript('agent.sh', ['start', '2'])
    const { placement }: { placement: RemotePlacement } = clusterAgentPlacement(2)
    await placement.prepare()
    let t0 = performance.now()
    const sandbox = await createSmallSandbox(placement)
    timings.sandbox_create_ms = ms(t0)
    const keptDiskId = newSandboxId()
    let resumed: PlacedSandbox | undefined
    try {
      expect(sandbox.isolation).toBe('userns')
      const [node] = sandbox.nodes
      if (!node) throw new Error('the sandbox has no node')
      // The sandbox's container is on node 2's engine, not the host's.
      expect(await nodeDocker(2, ['inspect', '--format', '{{.State.Running}}', node.containerId])).toBe('true')
      await expect(sh('docker', ['inspect', node.containerId])).rejects.toThrow()
      t0 = performance.now()
      const run = await placement.exec(node, ['docker', 'run', '--rm', 'busybox', 'echo', 'level-3-ok'], { timeoutMs: 120_000 })
      timings.level3_pull_and_run_ms = ms(t0)
      expect(run.stdout + run.stderr).toContain('Pulling from library/busybox')
      expect(run.stdout.trim().split('\n').at(-1)).toBe('level-3-ok')
      expect(run.exitCode).toBe(0)
      // A port the learner publishes, reached from node 2 (where quai-web's port proxy would
      // come through the agent) at the sandbox node's address.
      const served = await placement.exec(node, ['sh', '-c', "docker run -d -p 8080:8080 busybox sh -c 'mkdir -p /www && echo level-3-port > /www/index.html && httpd -f -p 8080 -h /www'"], { timeoutMs: 60_000 })
      expect(served.exitCode, served.stderr).toBe(0)
      await expect
        .poll(() => sh('docker', ['exec', 'quai-cluster-node-2', 'curl', '-fsS', '-m', '2', `http://${node.address}:8080/`]).then((r) => r.stdout.trim(), (e: Error) => e.message), { timeout: 20_000 })
        .toBe('level-3-port')
      // The host pieces, made by the agent inside the node: the loop disk, the cgroup limits.
      const disk = await placement.diskSpace(sandbox.sandboxId)
      expect(disk?.totalBytes).toBeGreaterThan(900 * 1024 * 1024)
      expect(disk?.totalBytes).toBeLessThan(1100 * 1024 * 1024)
      expect(await placement.processCount(sandbox.sandboxId)).toMatchObject({ max: 1024 })
      // In node 2's own cgroup view (cgroup v1 or v2), below the agent's parent "cluster".
      const { stdout: memLimit } = await sh('docker', ['exec', 'quai-cluster-node-2', 'sh', '-c', `cat /sys/fs/cgroup/memory/cluster/${sandbox.sandboxId}/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/cluster/${sandbox.sandboxId}/memory.max`])
      expect(Number(memLimit)).toBe(768 * 1024 * 1024)

      // Kept work on a simulated host (docs/persistence.md): a step, then the disk kept on node 2
      // and resumed there, the learner's server running again on its former address.
      expect(sandbox.steps, 'btrfs sandbox disks in the simulated host').toBe(true)
      t0 = performance.now()
      const step = await placement.snapshot(sandbox.sandboxId, 'clusterstep1')
      timings.step_ms = ms(t0)
      expect(Object.values(step.running).flat()).toHaveLength(1)
      t0 = performance.now()
      const kept = await placement.keep(sandbox.sandboxId, keptDiskId)
      timings.keep_ms = ms(t0)
      expect(await placement.listPlaced()).toEqual([])
      expect((await placement.listKept()).map((d) => d.diskId)).toEqual([keptDiskId])
      t0 = performance.now()
      resumed = await createSmallSandbox(placement, newSandboxId(), { diskId: keptDiskId, running: kept.running, subnet: sandbox.subnet ?? null, host: null })
      timings.resume_ms = ms(t0)
      const again = resumed.nodes[0]!
      expect(again.address).toBe(node.address)
      await expect
        .poll(() => sh('docker', ['exec', 'quai-cluster-node-2', 'curl', '-fsS', '-m', '2', `http://${again.address}:8080/`]).then((r) => r.stdout.trim(), (e: Error) => e.message), { timeout: 20_000 })
        .toBe('level-3-port')
    } finally {
      t0 = performance.now()
      await placement.destroy(resumed?.sandboxId ?? sandbox.sandboxId)
      timings.sandbox_destroy_ms = ms(t0)
      await placement.removeKept(keptDiskId).catch(() => undefined)
    }
    expect(await placement.listPlaced()).toEqual([])
    expect(await placement.listKept()).toEqual([])
  })
})
