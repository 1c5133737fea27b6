import { describe, expect, test } from 'vitest'
import { byId, container, evaluate, facts, image, network, volume } from './helpers'

describe('network check', () => {
  const f = facts({ networks: [network('tp-network'), network('back')], containers: [container('test-server'), container('web'), container('stopped'), container('plain')] })

  test('driver, subnet, gateway and members pass against the real network', () => {
    const lines = evaluate({ kind: 'network', name: 'tp-network', driver: 'bridge', subnet: '10.77.0.0/24', gateway: '10.77.0.254', internal: false, members: ['test-server', 'web'], notMembers: ['plain'] }, f)
    expect(lines.filter((l) => !l.passed)).toEqual([])
    expect(byId(lines, 'network:tp-network:exists').fr).toBe('le réseau tp-network existe (pilote bridge)')
    expect(byId(lines, 'network:tp-network:member:test-server').fr).toBe('le conteneur test-server est attaché au réseau tp-network')
  })

  test('a stopped container is still a member (read on the container, not the network endpoints)', () => {
    expect(network('tp-network').endpoints.map((e) => e.name)).not.toContain('stopped')
    expect(evaluate({ kind: 'network', name: 'tp-network', members: ['stopped'] }, f)[1]!.passed).toBe(true)
  })

  test('the issue’s example: the network exists, but test-server is not attached to it', () => {
    const lines = evaluate({ kind: 'network', name: 'back', internal: true, members: ['test-server', 'ghost'], notMembers: ['web'] }, f)
    expect(byId(lines, 'network:back:internal')).toMatchObject({ passed: true, fr: 'le réseau back est interne (sans accès vers l’extérieur)' })
    expect(byId(lines, 'network:back:member:test-server')).toMatchObject({
      passed: false,
      fr: 'le réseau back existe, mais test-server n’y est pas attaché (ses réseaux : tp-network)',
      en: 'network back exists, but test-server is not attached to it (its networks: tp-network)',
    })
    expect(byId(lines, 'network:back:member:ghost').fr).toBe('le réseau back existe, mais il n’y a pas de conteneur ghost')
    expect(byId(lines, 'network:back:not-member:web').fr).toBe('web est attaché au réseau back : il ne doit pas l’être')
  })

  test('wrong subnet and missing network', () => {
    expect(evaluate({ kind: 'network', name: 'tp-network', subnet: '10.50.0.0/24' }, f)[1]!.fr).toBe('pour le réseau tp-network, sous-réseau : 10.77.0.0/24, attendu 10.50.0.0/24')
    const missing = evaluate({ kind: 'network', name: 'tp_network', members: ['web'] }, facts({ networks: [['tp_network', null]], mutate: (x) => (x.otherNames.networks = ['bridge', 'tp-network']) }))
    expect(missing[0]!.fr).toBe('aucun réseau nommé tp_network (vouliez-vous dire : tp-network ?)')
    expect(missing[1]).toMatchObject({ pending: true, fr: 'le conteneur web doit être attaché au réseau tp_network' })
  })
})

describe('volume check', () => {
  const data = volume('data')
  test('exists, driver, mounted in', () => {
    const lines = evaluate({ kind: 'volume', name: 'data', driver: 'local', mountedIn: ['web', 'plain'] }, facts({ volumes: [data], containers: [container('web'), container('plain')] }))
    expect(lines.map((l) => [l.id, l.passed])).toEqual([
      ['volume:data:exists', true],
      ['volume:data:driver', true],
      ['volume:data:mounted-in:web', true],
      ['volume:data:mounted-in:plain', false],
    ])
    expect(byId(lines, 'volume:data:mounted-in:web').fr).toBe('le volume data est monté dans web sur /data')
  })

  test('a file in the volume, and data that outlived a replacement', () => {
    const web = container('web')
    const created = Date.parse(web.created) / 1000
    const before = { kind: 'file' as const, outcome: 'read' as const, content: 'escale=Marseille\n', mtime: created - 60 }
    const after = { ...before, mtime: created + 5 }
    const check = { kind: 'volume', name: 'data', file: { path: 'temoin.txt', contains: 'Marseille' }, survivedReplacement: { container: 'web', path: 'temoin.txt' } }
    const ok = evaluate(check, facts({ volumes: [data], containers: [web], probes: [['0:volume-file', before], ['0:survived', before]] }))
    expect(ok.every((l) => l.passed)).toBe(true)
    expect(byId(ok, 'volume:data:file:temoin.txt').fr).toBe('le fichier temoin.txt du volume data contient « Marseille »')
    const notReplaced = evaluate(check, facts({ volumes: [data], containers: [web], probes: [['0:volume-file', after], ['0:survived', after]] }))
    expect(byId(notReplaced, 'volume:data:survived:web')).toMatchObject({ passed: false })
    expect(byId(notReplaced, 'volume:data:survived:web').fr).toMatch(/^le fichier temoin.txt a été écrit après la création de web : remplacez le conteneur/)
    const missing = evaluate(check, facts({ volumes: [data], containers: [web], probes: [['0:volume-file', { kind: 'file', outcome: 'missing' }], ['0:survived', { kind: 'file', outcome: 'missing' }]] }))
    expect(byId(missing, 'volume:data:file:temoin.txt').fr).toBe('le volume data ne contient pas de fichier temoin.txt')
  })

  test('schema: volume paths stay inside the volume', () => {
    expect(() => evaluate({ kind: 'volume', name: 'data', file: { path: '../etc/passwd' } }, facts())).toThrow(/relative to the volume/)
    expect(() => evaluate({ kind: 'volume', name: 'data', file: { path: '/etc/passwd' } }, facts())).toThrow()
  })
})

describe('image check', () => {
  const f = facts({ images: [['app:1.0', image('app')], ['quai-test/busybox', image('busybox')]] })

  test('user, healthcheck, exposed ports, env, labels, workdir, size from a real build', () => {
    const lines = evaluate(
      { kind: 'image', name: 'app:1.0', user: 'nobody', nonRoot: true, healthcheck: true, maxSizeMB: 50, exposedPorts: [3000], env: { MODE: 'prod' }, labels: { 'org.opencontainers.image.title': 'app' }, workdir: '/app' },
      f,
    )
    expect(lines.filter((l) => !l.passed)).toEqual([])
    expect(byId(lines, 'image:app:1.0:healthcheck').fr).toMatch(/^l’image app:1.0 a un HEALTHCHECK \(wget/)
  })

  test('a root image without HEALTHCHECK, too big', () => {
    const lines = evaluate({ kind: 'image', name: 'quai-test/busybox', nonRoot: true, healthcheck: true, maxSizeMB: 0.5, exposedPorts: [80] }, f)
    expect(byId(lines, 'image:quai-test/busybox:non-root').fr).toBe('l’image quai-test/busybox s’exécute en root (root) : il manque une instruction USER')
    expect(byId(lines, 'image:quai-test/busybox:healthcheck').fr).toBe('l’image quai-test/busybox n’a pas de HEALTHCHECK')
    expect(byId(lines, 'image:quai-test/busybox:size').fr).toMatch(/^l’image quai-test\/busybox pèse [\d,.]+ Mio, au-dessus de la limite de 0,5 Mio$/)
    expect(byId(lines, 'image:quai-test/busybox:expose:80').fr).toBe('l’image quai-test/busybox n’expose pas le port 80 (ports exposés : aucun)')
  })

  test('Dockerfile stages', () => {
    const dockerfile = (content: string) => facts({ images: [['app:1.0', image('app')]], probes: [['0:dockerfile', { kind: 'file', outcome: 'read', content, mtime: 0 }]] })
    const multi = 'FROM node:22 AS build\nRUN npm ci\n# FROM nothing\nFROM nginx:alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n'
    expect(byId(evaluate({ kind: 'image', name: 'app:1.0', dockerfile: { path: 'site/Dockerfile', multiStage: true } }, dockerfile(multi)), 'image:app:1.0:dockerfile:multi-stage')).toMatchObject({ passed: true, fr: 'le Dockerfile site/Dockerfile est multi-étapes (2 FROM)' })
    const single = evaluate({ kind: 'image', name: 'app:1.0', dockerfile: { path: 'Dockerfile', multiStage: true, minStages: 3 } }, dockerfile('FROM node:22\nRUN npm ci\n'))
    expect(byId(single, 'image:app:1.0:dockerfile:multi-stage').fr).toBe('le Dockerfile Dockerfile n’a qu’une étape : un build multi-étapes a plusieurs FROM')
    expect(byId(single, 'image:app:1.0:dockerfile:stages').fr).toBe('le Dockerfile Dockerfile a 1 étape, au moins 3 attendues')
    const none = evaluate({ kind: 'image', name: 'app:1.0', dockerfile: { path: 'Dockerfile', multiStage: true } }, facts({ images: [['app:1.0', image('app')]], probes: [['0:dockerfile', { kind: 'file', outcome: 'missing' }]] }))
    expect(none[1]!.fr).toBe('le Dockerfile Dockerfile est introuvable')
  })

  test('missing image suggests a near tag', () => {
    const lines = evaluate({ kind: 'image', name: 'app:1.1', healthcheck: true }, facts({ images: [['app:1.1', null]], mutate: (x) => (x.otherNames.images = ['app:1.0', 'nginx:latest']) }))
    expect(lines[0]!.fr).toBe('aucune image app:1.1 (vouliez-vous dire : app:1.0 ?)')
    expect(lines[1]!.pending).toBe(true)
  })
})
