import { describe, expect, test } from 'vitest'
import { serviceQuery } from '../../../lib/checks/evaluate/container'
import { byId, container, evaluate, facts } from './helpers'

describe('container facts from a real inspect', () => {
  test('reads every property the checks use', () => {
    const web = container('web')
    expect(web.name).toBe('web')
    expect(web.running).toBe(true)
    expect(web.env.APP_ENV).toBe('production')
    expect(web.env.EMPTY).toBe('')
    expect(web.restartPolicy).toBe('unless-stopped')
    expect(web.memoryBytes).toBe(256 * 1024 * 1024)
    expect(web.cpus).toBeCloseTo(0.5)
    expect(web.pidsLimit).toBe(100)
    expect(web.user).toBe('1000:1000')
    expect(web.capAdd).toEqual(['NET_ADMIN'])
    expect(web.capDrop).toEqual(['ALL'])
    expect(web.readOnlyRootfs).toBe(true)
    expect(web.noNewPrivileges).toBe(true)
    expect(web.tmpfs).toContain('/tmp')
    expect(web.networks.map((n) => n.name).sort()).toEqual(['back', 'tp-network'])
    expect(web.ports).toContainEqual(expect.objectContaining({ container: 80, protocol: 'tcp', host: 8080 }))
    expect(web.ports.find((p) => p.container === 53)?.host).toBeGreaterThan(0)
    expect(web.mounts).toContainEqual(expect.objectContaining({ type: 'volume', name: 'data', target: '/data', readOnly: false }))
    expect(web.mounts).toContainEqual(expect.objectContaining({ type: 'bind', target: '/srv/site', readOnly: true }))
    expect(web.logOptions['max-size']).toBe('10m')
  })

  test('a stopped container keeps its networks and exit code', () => {
    const stopped = container('stopped')
    expect(stopped.running).toBe(false)
    expect(stopped.exitCode).toBe(3)
    expect(stopped.networks.map((n) => n.name)).toEqual(['tp-network'])
  })

  test('health states', () => {
    expect(container('healthy').health).toBe('healthy')
    expect(container('unhealthy').health).toBe('unhealthy')
    expect(container('plain').health).toBeNull()
    expect(container('plain').hasHealthcheck).toBe(false)
  })
})

describe('container check', () => {
  const all = facts({ containers: [container('web'), container('stopped'), container('healthy'), container('unhealthy'), container('plain')] })

  test('every property of a matching container passes, with messages that say what was found', () => {
    const lines = evaluate(
      {
        kind: 'container', name: 'web', running: true, image: 'quai-test/busybox', env: { APP_ENV: 'production', EMPTY: { equals: '' } },
        ports: [{ container: 80, host: 8080 }, { container: 53, protocol: 'udp' }], restartPolicy: 'unless-stopped', memoryMB: 256,
        memoryReservationMB: 128, cpus: 0.5, pidsLimit: 100, user: '1000', nonRoot: true, capAdd: ['net_admin'], capDrop: ['CAP_SYS_ADMIN'],
        readOnlyRootfs: true, noNewPrivileges: true, tmpfs: ['/tmp'], networks: ['tp-network', 'back'], notNetworks: ['bridge'],
        mounts: [{ target: '/data', volume: 'data' }, { target: '/srv/site', readOnly: true }], labels: { tier: 'front' }, logDriver: 'json-file',
        logOptions: { 'max-size': '10m' },
      },
      all,
    )
    expect(lines.filter((l) => !l.passed)).toEqual([])
    expect(byId(lines, 'container:web:port:80/tcp').fr).toBe('le conteneur web publie le port 80/tcp sur le port 8080 de l’hôte')
    expect(byId(lines, 'container:web:memory').fr).toBe('pour le conteneur web, limite mémoire : 256 Mio')
    expect(byId(lines, 'container:web:env:APP_ENV').en).toBe('in container web, variable APP_ENV is “production”')
    expect(byId(lines, 'container:web:mount:/data').fr).toBe('dans le conteneur web, /data est monté depuis le volume data (lecture-écriture)')
  })

  test('a missing container fails once and leaves the rest pending, with a near miss', () => {
    const f = facts({ containers: [['test-servr', null]], otherContainers: ['test-server', 'db'] })
    const lines = evaluate({ kind: 'container', name: 'test-servr', running: true, networks: ['tp-network'] }, f)
    expect(lines.map((l) => [l.id, l.passed, !!l.pending])).toEqual([
      ['container:test-servr:exists', false, false],
      ['container:test-servr:running', false, true],
      ['container:test-servr:network:tp-network', false, true],
    ])
    expect(lines[0]!.fr).toBe('aucun conteneur nommé test-servr (vouliez-vous dire : test-server ?)')
    expect(lines[1]!.fr).toBe('le conteneur test-servr doit être en cours d’exécution')
  })

  test('a stopped container: says its state and exit code', () => {
    const lines = evaluate({ kind: 'container', name: 'stopped', running: true }, all)
    expect(byId(lines, 'container:stopped:running')).toMatchObject({ passed: false, fr: 'le conteneur stopped existe mais ne tourne pas (état : exited, code de sortie 3)' })
  })

  test('wrong values name what was found and what was expected', () => {
    const lines = evaluate(
      { kind: 'container', name: 'web', image: 'nginx', env: { APP_ENV: { contains: 'staging' }, MISSING: 'x' }, ports: [{ container: 80, host: 9090 }, { container: 443 }], restartPolicy: 'always', memoryMB: 512, networks: ['front'], nonRoot: false },
      all,
    )
    expect(byId(lines, 'container:web:image').fr).toBe('le conteneur web utilise l’image quai-test/busybox:latest, attendu nginx')
    expect(byId(lines, 'container:web:env:APP_ENV').fr).toBe('dans le conteneur web, la variable APP_ENV vaut « production », attendu un texte contenant « staging »')
    expect(byId(lines, 'container:web:env:MISSING').fr).toBe('dans le conteneur web, la variable MISSING n’est pas définie (attendu : « x »)')
    expect(byId(lines, 'container:web:port:80/tcp').fr).toBe('le conteneur web publie le port 80/tcp sur le port 8080 de l’hôte, attendu 9090')
    expect(byId(lines, 'container:web:port:443/tcp').fr).toBe('le conteneur web ne publie pas le port 443/tcp')
    expect(byId(lines, 'container:web:restart').fr).toBe('pour le conteneur web, politique de redémarrage : unless-stopped, attendu always')
    expect(byId(lines, 'container:web:memory').en).toBe('container web: memory limit is 256 MiB, expected 512 MiB')
    expect(byId(lines, 'container:web:network:front').fr).toMatch(/^le conteneur web n’est pas attaché au réseau front \(ses réseaux : (tp-network, back|back, tp-network)\)$/)
    expect(byId(lines, 'container:web:non-root').passed).toBe(false)
    expect(lines.every((l) => !l.passed || l.id.endsWith(':exists'))).toBe(true)
  })

  test('no limits reads as "sans limite"; root user is named', () => {
    const lines = evaluate({ kind: 'container', name: 'plain', memoryMB: 64, pidsLimit: 50, nonRoot: true, readOnlyRootfs: true }, all)
    expect(byId(lines, 'container:plain:memory').fr).toBe('pour le conteneur plain, limite mémoire : sans limite, attendu 64 Mio')
    expect(byId(lines, 'container:plain:non-root').fr).toBe('le conteneur plain tourne en root (root) : il doit utiliser un utilisateur non root')
    expect(byId(lines, 'container:plain:read-only').fr).toBe('le système de fichiers racine de plain est accessible en écriture, attendu en lecture seule')
  })

  test('health', () => {
    expect(evaluate({ kind: 'container', name: 'healthy', healthy: true }, all)[1]).toMatchObject({ passed: true })
    expect(evaluate({ kind: 'container', name: 'unhealthy', healthy: true }, all)[1]!.fr).toBe('l’état de santé de unhealthy est unhealthy, attendu healthy')
    expect(evaluate({ kind: 'container', name: 'plain', healthy: true }, all)[1]!.fr).toBe('le conteneur plain n’a pas de HEALTHCHECK : son état de santé est inconnu')
  })

  test('exists: false', () => {
    expect(evaluate({ kind: 'container', name: 'gone', exists: false }, facts({ containers: [['gone', null]] }))[0]).toMatchObject({ passed: true, fr: 'aucun conteneur nommé gone, comme attendu' })
    expect(evaluate({ kind: 'container', name: 'web', exists: false }, all)[0]).toMatchObject({ passed: false, fr: 'le conteneur web existe encore (running) : il doit être supprimé' })
  })

  test('by Compose service: every container of a scaled service must pass; count', () => {
    const api = container('shop-api-1')
    const db = container('shop-db-1')
    const second = { ...api, name: 'shop-api-2', running: false, status: 'exited' }
    const f = facts({ containers: [api, db, second], labelQueries: [[serviceQuery('api', 'shop'), ['shop-api-1', 'shop-api-2']]] })
    const lines = evaluate({ kind: 'container', service: 'api', project: 'shop', running: true, count: 2 }, f)
    expect(byId(lines, 'container:service:api:exists')).toMatchObject({ passed: true, fr: 'le service Compose api a 2 conteneurs (shop-api-1, shop-api-2)' })
    expect(byId(lines, 'container:service:api:count').passed).toBe(true)
    expect(byId(lines, 'container:service:api:running')).toMatchObject({ passed: false, fr: 'le conteneur shop-api-2 existe mais ne tourne pas (état : exited, code de sortie 0)' })
    const none = evaluate({ kind: 'container', service: 'web', project: 'shop', running: true }, facts({ labelQueries: [[serviceQuery('web', 'shop'), []]] }))
    expect(none[0]!.fr).toBe('aucun conteneur pour le service web du projet Compose shop')
    expect(none[1]!.pending).toBe(true)
  })

  test('schema refuses impossible definitions', () => {
    expect(() => evaluate({ kind: 'container', name: 'x', exists: false, running: true }, all)).toThrow(/exists: false/)
    expect(() => evaluate({ kind: 'container', running: true }, all)).toThrow(/needs .*name.* or .*service/)
    expect(() => evaluate({ kind: 'container', name: 'x', env: { A: { matches: '(' } } }, all)).toThrow(/invalid regular expression/)
    expect(() => evaluate({ kind: 'container', name: 'x', runing: true }, all)).toThrow()
  })
})
