import { describe, expect, test } from 'vitest'
import { composeProjectQuery } from '../../../lib/checks/evaluate/compose'
import { serviceFactsFromInspect, swarmFactsFromInfo } from '../../../lib/docker/parse/swarm'
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

describe('swarm, services, secrets, stacks (captured from a sandbox node running Docker 26)', () => {
  const info = raw('swarm-info')
  const nodes = raw('swarm-nodes') as unknown[]
  const tasks = raw('swarm-tasks') as { ServiceID: string; Status: { State: string } }[]
  const services = (raw('swarm-services') as { ID: string }[]).map((s) => serviceFactsFromInspect(s, tasks.filter((t) => t.ServiceID === s.ID && t.Status.State === 'running').length))
  const networks = raw('swarm-networks') as { Id: string; Name: string }[]
  const names = (list: unknown) => (list as { Spec: { Name: string } }[]).map((x) => x.Spec.Name)
  const manager = facts({
    mutate: (f) => {
      f.swarm = swarmFactsFromInfo(info, nodes)
      f.services = services
      f.networkIdToName = new Map(networks.map((n) => [n.Id, n.Name]))
      f.secrets = names(raw('swarm-secrets'))
      f.configs = names(raw('swarm-configs'))
    },
  })

  test('swarm: active, counts, nodes with roles, availability and labels', () => {
    const lines = evaluate({ kind: 'swarm', managers: 1, workers: 2, nodes: [{ hostname: 'manager', role: 'manager', availability: 'active', labels: { zone: 'a' } }, { hostname: 'worker1' }] }, manager)
    expect(byId(lines, 'swarm:node1:active').fr).toBe('Swarm est actif sur node1 (manager)')
    expect(byId(lines, 'swarm:node1:managers').passed).toBe(true)
    expect(byId(lines, 'swarm:node1:workers').fr).toBe('le swarm compte 0 worker(s), attendu 2')
    expect(byId(lines, 'swarm:node1:node:manager:role').passed).toBe(true)
    expect(byId(lines, 'swarm:node1:node:manager:label:zone').fr).toBe('le nœud manager a le label zone=a')
    expect(byId(lines, 'swarm:node1:node:worker1').fr).toBe('le nœud worker1 ne fait pas partie du swarm (nœuds : manager)')
  })

  test('swarm not initialised: says so, and services cannot exist', () => {
    const inactive = facts({ mutate: (f) => (f.swarm = swarmFactsFromInfo({ Swarm: { LocalNodeState: 'inactive' } }, null)) })
    expect(evaluate({ kind: 'swarm' }, inactive)[0]!.fr).toBe('Swarm n’est pas actif sur node1 (état : inactive)')
    expect(evaluate({ kind: 'service', name: 'web', replicas: 2 }, inactive).map((l) => l.fr)).toEqual(['Swarm n’est pas actif sur node1 (état : inactive)', 'pour le service web, nombre de répliques attendu : 2'])
    const worker = facts({ mutate: (f) => (f.swarm = swarmFactsFromInfo({ Swarm: { LocalNodeState: 'active', ControlAvailable: false, Nodes: 3, Managers: 1 } }, null)) })
    expect(evaluate({ kind: 'service', name: 'web' }, worker)[0]!.fr).toBe('node1 n’est pas un manager du swarm : seul un manager voit les services et les nœuds')
  })

  test('service: image, replicas, tasks, ports, update/rollback config, placement, secrets, configs, networks, env, rollback', () => {
    const lines = evaluate(
      {
        kind: 'service', name: 'web', image: 'busybox', mode: 'replicated', replicas: 2, runningTasks: 2, ports: [{ target: 80, published: 8080 }],
        updateConfig: { parallelism: 1, delaySeconds: 2, failureAction: 'rollback', order: 'start-first' }, rollbackConfig: { order: 'stop-first' },
        constraints: ['node.role == manager'], preferences: ['node.labels.zone'], secrets: ['db_password'], configs: ['app_conf'], networks: ['front'],
        env: { MODE: 'prod' }, updated: true, rolledBack: true,
      },
      manager,
    )
    expect(lines.filter((l) => !l.passed).map((l) => l.fr)).toEqual([])
    expect(byId(lines, 'service:web:image').fr).toBe('pour le service web, image : busybox:latest')
    expect(byId(lines, 'service:web:update:delaySeconds').fr).toBe('pour le service web, délai entre mises à jour (s) : 2')
    expect(byId(lines, 'service:web:rolled-back').fr).toBe('le service web est revenu à sa version précédente (état : rollback_completed)')
    const wrong = evaluate({ kind: 'service', name: 'web', replicas: 3, runningTasks: 3, mode: 'global', secrets: ['api_key'], stack: 'shop' }, manager)
    expect(wrong.filter((l) => !l.passed).map((l) => l.fr)).toEqual([
      'pour le service web, mode : replicated, attendu global',
      'pour le service web, nombre de répliques : 2, attendu 3',
      'le service web a 2 tâche(s) en cours d’exécution, attendu 3',
      'le service web ne reçoit pas le secret api_key (secrets : db_password)',
      'pour le service web, stack : aucun, attendu shop',
    ])
    expect(evaluate({ kind: 'service', name: 'wbe' }, manager)[0]!.fr).toBe('aucun service nommé wbe (vouliez-vous dire : web ?)')
  })

  test('secrets, configs and stacks', () => {
    expect(evaluate({ kind: 'secret', name: 'db_password' }, manager)[0]!.fr).toBe('le secret db_password existe')
    expect(evaluate({ kind: 'config', name: 'app_conf' }, manager)[0]!.fr).toBe('la config app_conf existe')
    expect(evaluate({ kind: 'config', name: 'nginx_conf' }, manager)[0]!.fr).toBe('aucune config nommée nginx_conf')
    const stack = evaluate({ kind: 'stack', name: 'shop', services: ['api', 'db', 'cache'] }, manager)
    expect(stack.map((l) => [l.passed, l.fr])).toEqual([
      [true, 'la stack shop est déployée (2 services)'],
      [true, 'la stack shop a un service api'],
      [true, 'la stack shop a un service db'],
      [false, 'la stack shop n’a pas de service cache (services : db, api)'],
    ])
    expect(evaluate({ kind: 'service', name: 'shop_api', stack: 'shop', secrets: ['db_password'] }, manager).every((l) => l.passed)).toBe(true)
  })
})
