// Level 3 by hand: a real sandbox made by the quai-agent running inside a cluster node
// (scripts/cluster/agent.sh start N), driven from the host through the agent's unix socket
// with the RemotePlacement client, then `docker run` inside that sandbox.
//   npx tsx --import ./scripts/node/register.mjs scripts/cluster/sandbox-probe.ts [N] [--keep] [--mirror]
// --mirror: pull busybox through the node's lesson registry mirror (scripts/cluster/seed-registry.sh)
// instead of loading the image into the sandbox.
import { execFileSync } from 'node:child_process'
import { ms, nodeSocket } from '../../tests/cluster/cluster-scripts'
import { clusterAgentPlacement, createSmallSandbox } from '../../tests/cluster/support'

const n = Number(process.argv[2] ?? 2)
const keep = process.argv.includes('--keep')
const mirror = process.argv.includes('--mirror')
const { placement } = clusterAgentPlacement(n)
let t0 = performance.now()
await placement.prepare()
console.log(`prepare: ${ms(t0)} ms`)
t0 = performance.now()
const sandbox = await createSmallSandbox(placement)
console.log(`sandbox ${sandbox.sandboxId} (${sandbox.isolation}) running in node ${n} after ${ms(t0)} ms: ${JSON.stringify(sandbox.nodes)}`)
const [node] = sandbox.nodes
if (!node) throw new Error('the sandbox has no node')
try {
  // The sandbox has no registry to pull from here: give its inner daemon the busybox stand-in
  // from the node's engine, through the inner socket the agent pinned in the node.
  if (!mirror) execFileSync('sh', ['-c', `docker -H unix://${nodeSocket(n)} save quai/lesson-busybox:latest | docker -H unix://${nodeSocket(n)} exec -i ${node.containerId} quai-enter docker load`], { stdio: 'inherit' })
  const r = await placement.exec(node, ['docker', 'run', '--rm', mirror ? 'busybox' : 'quai/lesson-busybox:latest', 'sh', '-c', 'echo level-3-docker-run-ok; cat /proc/self/cgroup | head -2'], { timeoutMs: 60_000 })
  console.log(`exit ${r.exitCode}\n${r.stdout}${r.stderr}`)
  console.log(JSON.stringify({ disk: await placement.diskSpace(sandbox.sandboxId), pids: await placement.processCount(sandbox.sandboxId) }))
} finally {
  if (!keep) {
    t0 = performance.now()
    await placement.destroy(sandbox.sandboxId)
    console.log(`destroyed in ${ms(t0)} ms; left: ${JSON.stringify(await placement.listPlaced())}`)
  }
}
