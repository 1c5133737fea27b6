import { describe, expect, test } from 'vitest'
import { composeProjectQuery } from '../../../lib/checks/evaluate/compose'
import { serviceFactsFromInspect, swarmFactsFromInfo } from '../../../lib/docker/inspect.server'
import { byId, container, evaluate, facts, raw } from './helpers'

describe('compose check', () => {
  const api = container('shop-api-1')
  const db = container('shop-db-1')
  const composeFile = `services:\n  api:\n    depends_on:\n      db: { condition: service_healthy }\n  db: {}\n  debug:\n    profiles: [debug, tools]\n    depends_on: [db]\n`
  const base = facts({
    containers: [api, db],
    labelQueries: [[composeProjectQuery('shop'), ['shop-api-1', 'shop-db-1']]],
    probes: [['0:compose-file', { kind: 'file', outcome: 'read', content: `---QUAI-FILE---\n${composeFile}`, mtime: 0 }]],
  })

  test('project, services, running, replicas, depends_on from Compose’s own labels, profiles from the file', () => {
    const lines = evaluate(
      {
        kind: 'compose', project: 'shop', services: ['api', 'db'], running: ['api', 'db'], notRunning: ['debug'], replicas: { api: 1 },
        dependsOn: [{ service: 'api', on: 'db', condition: 'service_healthy' }, { service: 'api', on: 'cache' }, { service: 'debug', on: 'db' }],
        profiles: { debug: ['debug'] }, configFiles: ['compose.yaml'],
      },
      base,
    )
    expect(lines.filter((l) => !l.passed)).toEqual([])
    expect(byId(lines, 'compose:shop:project').fr).toBe('le projet Compose shop est lancé (2 conteneurs)')
    expect(byId(lines, 'compose:shop:depends-on:api:db').fr).toBe('le service api dépend de db (condition service_healthy)')
  })

  test('failures name services, conditions and profiles found', () => {
    const lines = evaluate(
      { kind: 'compose', project: 'shop', services: ['web'], healthy: ['db'], dependsOn: [{ service: 'api', on: 'db', condition: 'service_started' }, { service: 'db', on: 'api' }], profiles: { debug: ['ops'], web: ['x'] }, replicas: { api: 3 } },
      base,
    )
    expect(byId(lines, 'compose:shop:service:web').fr).toBe('le projet shop n’a pas de service web (services : api, db)')
    expect(byId(lines, 'compose:shop:healthy:db').fr).toBe('le service db n’a pas de healthcheck (shop-db-1)')
    expect(byId(lines, 'compose:shop:depends-on:api:db').fr).toBe('le service api dépend de db avec la condition service_healthy, attendu service_started')
    expect(byId(lines, 'compose:shop:depends-on:db:api').fr).toBe('le service db ne dépend pas de api (depends_on)')
    expect(byId(lines, 'compose:shop:profile:debug:ops').fr).toBe('le service debug ne fait pas partie du profil ops (profils : debug, tools)')
    expect(byId(lines, 'compose:shop:profile:web:x').fr).toBe('le fichier Compose n’a pas de service web (services : api, db, debug)')
    expect(byId(lines, 'compose:shop:replicas:api').fr).toBe('le service api a 1 réplique(s) en cours d’exécution, attendu 3')
  })

  test('a project that is not up: one failure, the rest pending', () => {
    const lines = evaluate({ kind: 'compose', project: 'shop', running: ['api'], replicas: { api: 2 } }, facts({ labelQueries: [[composeProjectQuery('shop'), []]] }))
    expect(lines.map((l) => [l.passed, !!l.pending])).toEqual([[false, false], [false, true], [false, true]])
    expect(lines[0]!.fr).toBe('aucun conteneur du projet Compose shop')
  })
})

describe('swarm, services, secrets, stacks', () => {
  const info = raw('swarm-info')
  const nodes = raw('swarm-nodes') as unknown[]
  const tasks = raw('swarm-tasks') as { ServiceID: string; Status: { State: string } }[]
  const services = (raw('swarm-services') as { ID: string }[]).map((s) => serviceFactsFromInspect(s, tasks.filter((t) => t.ServiceID === s.ID && t.Status.State === 'running').length))
  const manager = facts({
    mutate: (f) => {
      f.swarm = swarmFactsFromInfo(info, nodes)
      f.services = services
      f.networkIdToName = new Map([['net0front', 'shop_front']])
      f.secrets = ['shop_db_password']
      f.configs = []
    },
  })

  test('swarm: active, counts, nodes with roles, availability and labels', () => {
    const lines = evaluate({ kind: 'swarm', managers: 1, workers: 2, nodes: [{ hostname: 'manager', role: 'manager' }, { hostname: 'worker1', labels: { zone: 'a' } }, { hostname: 'worker2', availability: 'active' }, { hostname: 'worker3' }] }, manager)
    expect(byId(lines, 'swarm:node1:active').fr).toBe('Swarm est actif sur node1 (manager)')
    expect(byId(lines, 'swarm:node1:workers').passed).toBe(true)
    expect(byId(lines, 'swarm:node1:node:worker1:label:zone').passed).toBe(true)
    expect(byId(lines, 'swarm:node1:node:worker2:availability').fr).toBe('la disponibilité du nœud worker2 est drain, attendu active')
    expect(byId(lines, 'swarm:node1:node:worker3').fr).toBe('le nœud worker3 ne fait pas partie du swarm (nœuds : manager, worker1, worker2)')
  })

  test('swarm not initialised: says so, and services cannot exist', () => {
    const inactive = facts({ mutate: (f) => (f.swarm = swarmFactsFromInfo({ Swarm: { LocalNodeState: 'inactive' } }, null)) })
    expect(evaluate({ kind: 'swarm' }, inactive)[0]!.fr).toBe('Swarm n’est pas actif sur node1 (état : inactive)')
    expect(evaluate({ kind: 'service', name: 'web', replicas: 2 }, inactive).map((l) => l.fr)).toEqual(['Swarm n’est pas actif sur node1 (état : inactive)', 'pour le service web, nombre de répliques attendu : 2'])
    const worker = facts({ mutate: (f) => (f.swarm = swarmFactsFromInfo({ Swarm: { LocalNodeState: 'active', ControlAvailable: false, Nodes: 3, Managers: 1 } }, null)) })
    expect(evaluate({ kind: 'service', name: 'web' }, worker)[0]!.fr).toBe('node1 n’est pas un manager du swarm : seul un manager voit les services et les nœuds')
  })

  test('service: image without digest, replicas, tasks, ports, update/rollback config, placement, secrets, networks, stack, rollback', () => {
    const lines = evaluate(
      {
        kind: 'service', name: 'shop_web', image: 'nginx:1.27', mode: 'replicated', replicas: 3, runningTasks: 3, ports: [{ target: 80, published: 8080 }],
        updateConfig: { parallelism: 1, delaySeconds: 10, failureAction: 'rollback', order: 'start-first' }, rollbackConfig: { order: 'stop-first' },
        constraints: ['node.role==worker'], preferences: ['node.labels.zone'], secrets: ['db_password'], configs: ['nginx_conf'], networks: ['front'],
        env: { MODE: 'prod' }, stack: 'shop', updated: true, rolledBack: true,
      },
      manager,
    )
    expect(lines.filter((l) => !l.passed).map((l) => l.fr)).toEqual(['le service shop_web a 2 tâche(s) en cours d’exécution, attendu 3'])
    expect(byId(lines, 'service:shop_web:image').fr).toBe('pour le service shop_web, image : nginx:1.27')
    expect(byId(lines, 'service:shop_web:update:delaySeconds').fr).toBe('pour le service shop_web, délai entre mises à jour (s) : 10')
    expect(evaluate({ kind: 'service', name: 'monitor', mode: 'replicated' }, manager)[1]!.fr).toBe('pour le service monitor, mode : global, attendu replicated')
    expect(evaluate({ kind: 'service', name: 'shop-web' }, manager)[0]!.fr).toBe('aucun service nommé shop-web (vouliez-vous dire : shop_web ?)')
  })

  test('secrets, configs and stacks', () => {
    expect(evaluate({ kind: 'secret', name: 'shop_db_password' }, manager)[0]!.fr).toBe('le secret shop_db_password existe')
    expect(evaluate({ kind: 'config', name: 'nginx_conf' }, manager)[0]!.fr).toBe('aucune config nommée nginx_conf')
    const stack = evaluate({ kind: 'stack', name: 'shop', services: ['web', 'db'] }, manager)
    expect(stack.map((l) => [l.passed, l.fr])).toEqual([
      [true, 'la stack shop est déployée (1 service)'],
      [true, 'la stack shop a un service web'],
      [false, 'la stack shop n’a pas de service db (services : web)'],
    ])
  })
})
