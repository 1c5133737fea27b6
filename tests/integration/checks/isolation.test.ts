import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { renderAssertion } from '../../../lib/checks/render'
import { runChecks } from '../../../lib/checks/run.server'
import { checkSchema } from '../../../lib/content/check-kinds'
import { createLab, startTestNode, type Lab, type TestNode } from './support'

// The isolation check on a real sandbox node (Quai's sandbox image, its own Docker daemon):
// what it says agrees with what a container can actually reach, and it runs in live mode.

let lab: Lab
let node: TestNode
const sh = async (command: string) => {
  const r = await node.sh(command)
  expect(r.exitCode, `${command}\n${r.stderr}`).toBe(0)
  return r.stdout.trim()
}

beforeAll(async () => {
  lab = await createLab('isolation')
  node = await startTestNode(lab, 'node1')
  await sh(
    [
      'docker network create pont',
      'docker network create --internal interne',
      'docker run -d --name ouvert --network pont busybox sleep 600',
      'docker run -d --name ferme --network interne busybox sleep 600',
      'docker run -d --name coupe --network none busybox sleep 600',
      'docker run -d --name mixte --network interne busybox sleep 600',
      'docker network connect pont mixte',
    ].join(' && '),
  )
}, 300_000)
afterAll(() => lab?.cleanup(), 120_000)

const live = async (defs: Record<string, unknown>[]) => {
  const result = await runChecks(defs.map((d) => checkSchema.parse(d)), () => node.target, { defaultNode: 'node1', timeoutSeconds: 20, skipCommands: true })
  return result.assertions.filter((a) => /isolated/.test(a.id)).map((a) => `${a.passed ? '✓' : '✗'} ${renderAssertion(a)}`)
}

describe('isolated: a container that cannot leave its networks', () => {
  test('fails on a normal bridge and passes on an internal network or none, in live mode', async () => {
    expect(await live([
      { kind: 'container', name: 'ouvert', isolated: true },
      { kind: 'container', name: 'ferme', isolated: true },
      { kind: 'container', name: 'coupe', isolated: true },
      { kind: 'container', name: 'mixte', isolated: true },
      { kind: 'container', name: 'ouvert', isolated: false },
      { kind: 'container', name: 'ferme', isolated: false },
    ])).toEqual([
      '✗ le conteneur ouvert peut sortir de ses réseaux par pont : seuls none et les réseaux internes l’en empêchent',
      '✓ le conteneur ferme ne peut pas sortir de ses réseaux (interne)',
      '✓ le conteneur coupe ne peut pas sortir de ses réseaux (none)',
      '✗ le conteneur mixte peut sortir de ses réseaux par pont : seuls none et les réseaux internes l’en empêchent',
      '✓ le conteneur ouvert peut joindre l’extérieur par pont',
      '✗ le conteneur ferme ne peut pas sortir de ses réseaux (interne) : il lui faut un réseau qui ne soit pas interne',
    ])
  }, 60_000)

  test('agrees with what the containers reach: the node itself, outside their networks', async () => {
    const nodeAddress = (await node.sh('hostname -i')).stdout.trim().split(/\s+/)[0]!
    const ping = async (from: string) => (await node.sh(`docker exec ${from} ping -c 1 -W 2 ${nodeAddress}`)).exitCode
    expect(await ping('ouvert')).toBe(0)
    expect(await ping('ferme')).not.toBe(0)
    expect(await ping('coupe')).not.toBe(0)
  }, 60_000)

  test('waits for a container that does not exist yet', async () => {
    expect(await live([{ kind: 'container', name: 'absent', isolated: true }])).toEqual([
      '✗ le conteneur absent ne doit pas pouvoir sortir de ses réseaux (réseau none ou réseaux internes seulement)',
    ])
  }, 60_000)
})
