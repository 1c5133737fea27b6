import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkSchema } from '../../../lib/content/check-kinds'
import { renderAssertion } from '../../../lib/checks/render'
import { runChecks } from '../../../lib/checks/run.server'
import { createLab, docker, startTestNode, type Lab, type TestNode } from './support'

// Swarm kinds against a real swarm: two Docker-in-Docker nodes from the sandbox image on a
// network of their own (never the host daemon, which must not join a swarm).

let lab: Lab
let manager: TestNode
let worker: TestNode

beforeAll(async () => {
  lab = await createLab('swarm')
  await docker('network', 'create', lab.n('nodes'))
  ;[manager, worker] = await Promise.all([
    startTestNode(lab, 'manager', { hostname: 'manager', network: lab.n('nodes') }),
    startTestNode(lab, 'worker1', { hostname: 'worker1', network: lab.n('nodes') }),
  ])
}, 240_000)
afterAll(() => lab?.cleanup())

const check = async (defs: Record<string, unknown>[]) =>
  runChecks(defs.map((d) => checkSchema.parse(d)), (node) => (node === 'worker1' ? worker.target : manager.target), { defaultNode: 'manager', timeoutSeconds: 20 })

describe('swarm kinds on a real two-node swarm', () => {
  test('before: no swarm; after init, join, services, secrets, a stack and a rollback: all pass', async () => {
    const defs = [
      { kind: 'swarm', managers: 1, workers: 1, nodes: [{ hostname: 'worker1', role: 'worker', labels: { zone: 'b' } }] },
      { kind: 'service', name: 'web', replicas: 2, runningTasks: 2, secrets: ['db_password'], ports: [{ target: 80, published: 8080 }], rolledBack: true },
      { kind: 'secret', name: 'db_password' },
      { kind: 'stack', name: 'shop', services: ['api'] },
      { kind: 'swarm', node: 'worker1' },
    ]
    const before = await check(defs)
    expect(before.passed).toBe(false)
    expect(renderAssertion(before.assertions[0]!)).toBe('Swarm n’est pas actif sur manager (état : inactive)')

    const ip = (await manager.sh("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")).stdout.trim()
    const init = await manager.sh(`docker swarm init --advertise-addr ${ip} >/dev/null && docker swarm join-token -q worker`)
    expect(init.exitCode).toBe(0)
    expect((await worker.sh(`docker swarm join --token ${init.stdout.trim()} ${ip}:2377`)).exitCode).toBe(0)
    const setup = await manager.sh(
      [
        'docker node update --label-add zone=b worker1',
        "printf s3cret | docker secret create db_password -",
        'docker service create -d --name web --replicas 2 --secret db_password -p 8080:80 --update-monitor 2s --update-failure-action rollback busybox sleep 3600',
        'mkdir -p s && printf "services:\\n  api:\\n    image: busybox\\n    command: sleep 3600\\n" > s/stack.yaml && docker stack deploy -c s/stack.yaml shop',
        'for i in $(seq 1 60); do [ "$(docker service ls --filter name=web --format "{{.Replicas}}")" = 2/2 ] && break; sleep 1; done',
        "docker service update -d --args \"sh -c 'exit 1'\" web",
        'for i in $(seq 1 60); do docker service inspect web --format "{{.UpdateStatus.State}}" | grep -q rollback_completed && break; sleep 1; done',
        'for i in $(seq 1 60); do [ "$(docker service ls --filter name=web --format "{{.Replicas}}")" = 2/2 ] && break; sleep 1; done',
      ].join(' && '),
    )
    expect(setup.exitCode, setup.stderr).toBe(0)
    const after = await check(defs)
    expect(after.assertions.filter((a) => !a.passed).map((a) => `${a.id}: ${renderAssertion(a)}`)).toEqual([])
    const onWorker = await check([{ kind: 'service', name: 'web', node: 'worker1' }])
    expect(renderAssertion(onWorker.assertions[0]!)).toBe('worker1 n’est pas un manager du swarm : seul un manager voit les services et les nœuds')
  })
})
