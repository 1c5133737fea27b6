import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CheckTimeoutError, DaemonUnavailableError } from '../../../lib/checks/errors'
import { checkSchema, type Check } from '../../../lib/content/check-kinds'
import { renderAssertion, renderAssertionWithOutputs } from '../../../lib/checks/render'
import { runChecks, type CheckRunResult } from '../../../lib/checks/run.server'
import { dockerClientForSocket } from '../../../lib/docker/client.server'
import { BUSYBOX, createLab, docker, ensureBusybox, hostExec, type Lab } from './support'

// The engine against a real Docker daemon (the host's, standing in for a sandbox node):
// real inspects, real probes inside containers, real files and commands on the "node".

let lab: Lab
beforeAll(async () => {
  await ensureBusybox()
  lab = await createLab('run')
})
afterAll(() => lab?.cleanup())

const parse = (defs: Record<string, unknown>[]): Check[] => defs.map((d) => checkSchema.parse(d))
const check = (defs: Record<string, unknown>[], timeoutSeconds = 15): Promise<CheckRunResult> =>
  runChecks(parse(defs), () => lab.target, { defaultNode: 'node1', timeoutSeconds })
const failing = (r: CheckRunResult) => r.assertions.filter((a) => !a.passed).map((a) => `${a.id}: ${renderAssertion(a)}`)

describe('a typical exercise on a real daemon', () => {
  test('fails on a fresh daemon with messages that say what is missing, passes once done', async () => {
    const net = lab.n('tp-network')
    const srv = lab.n('test-server')
    const defs = [
      { kind: 'network', name: net, driver: 'bridge', members: [srv] },
      { kind: 'container', name: srv, running: true, networks: [net] },
    ]
    const before = await check(defs)
    expect(before.passed).toBe(false)
    expect(before.assertions.map((a) => [a.passed, !!a.pending])).toEqual([[false, false], [false, true], [false, true], [false, false], [false, true], [false, true]])
    expect(renderAssertion(before.assertions[0]!)).toBe(`aucun réseau nommé ${net}`)

    await docker('network', 'create', net)
    await docker('run', '-d', '--name', srv, BUSYBOX, 'sleep', '600')
    const half = await check(defs)
    expect(failing(half)).toEqual([
      `network:${net}:member:${srv}: le réseau ${net} existe, mais ${srv} n’y est pas attaché (ses réseaux : bridge)`,
      `container:${srv}:network:${net}: le conteneur ${srv} n’est pas attaché au réseau ${net} (ses réseaux : bridge)`,
    ])

    await docker('network', 'connect', net, srv)
    const after = await check(defs)
    expect(failing(after)).toEqual([])
    expect(after).toMatchObject({ passed: true, passedCount: 6, totalCount: 6 })
  })
})

describe('every kind that a single daemon can hold', () => {
  let port = 0
  beforeAll(async () => {
    const net = lab.n('app-net')
    await docker('network', 'create', '--subnet', '10.231.7.0/24', '--gateway', '10.231.7.254', net)
    await docker('network', 'create', '--internal', lab.n('back'))
    await docker('volume', 'create', lab.n('data'))
    await docker('run', '-d', '--name', lab.n('web'), '--network', net, '--network-alias', 'web', '-p', '127.0.0.1::80', '-e', 'MODE=prod', '--restart', 'unless-stopped', '-m', '64m',
      BUSYBOX, 'sh', '-c', 'mkdir -p /www && echo "<h1>Le Comptoir</h1>" > /www/index.html && echo \'{"status":"ok","n":3}\' > /www/health.json && httpd -f -p 80 -h /www')
    await docker('run', '-d', '--name', lab.n('client'), '--network', net, BUSYBOX, 'sleep', '600')
    await docker('run', '-d', '--name', lab.n('cache'), '--network', lab.n('back'), '-v', `${lab.n('data')}:/data`, BUSYBOX, 'sh', '-c', 'echo escale=Marseille > /data/temoin.txt; sleep 600')
    port = Number((await docker('port', lab.n('web'), '80/tcp')).split(':').pop())
    // Compose's labels, set by hand (no Compose on the host): the engine reads nothing else.
    const compose = path.join(lab.workdir, 'compose.yaml')
    fs.writeFileSync(compose, 'services:\n  api:\n    image: busybox\n    depends_on:\n      db: { condition: service_healthy }\n  db:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [debug]\n')
    for (const [service, deps] of [['db', ''], ['api', 'db:service_healthy:false']] as const) {
      await docker('run', '-d', '--name', lab.n(`shop-${service}-1`), '--label', `com.docker.compose.project=${lab.prefix}`, '--label', `com.docker.compose.service=${service}`,
        '--label', `com.docker.compose.depends_on=${deps}`, '--label', `com.docker.compose.project.config_files=${compose}`, ...(service === 'db' ? ['--health-cmd', 'true', '--health-interval', '1s'] : []), BUSYBOX, 'sleep', '600')
    }
    fs.mkdirSync(path.join(lab.workdir, 'site'))
    fs.writeFileSync(path.join(lab.workdir, 'site/Dockerfile'), `FROM ${BUSYBOX} AS build\nRUN echo hi > /x\nFROM ${BUSYBOX}\nCOPY --from=build /x /x\nUSER nobody\nHEALTHCHECK CMD true\nEXPOSE 8080\n`)
    await docker('build', '-q', '-t', `${lab.n('site')}:1.0`, path.join(lab.workdir, 'site'))
    fs.writeFileSync(path.join(lab.workdir, 'prometheus.yml'), 'global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ["app:3000"]\n')
    await new Promise((r) => setTimeout(r, 1500))
  })

  test('all pass, with real probes', async () => {
    const w = lab.n('web')
    const result = await check([
      { kind: 'network', name: lab.n('app-net'), subnet: '10.231.7.0/24', gateway: '10.231.7.254', internal: false, members: [w, lab.n('client')], notMembers: [lab.n('cache')] },
      { kind: 'network', name: lab.n('back'), internal: true, members: [lab.n('cache')] },
      { kind: 'container', name: w, running: true, image: 'quai-test/busybox', env: { MODE: 'prod' }, ports: [{ container: 80 }], restartPolicy: 'unless-stopped', memoryMB: 64 },
      { kind: 'dns', from: lab.n('client'), host: 'web', addressOf: w },
      { kind: 'dns', from: lab.n('client'), host: lab.n('cache'), resolves: false },
      { kind: 'reach', from: lab.n('client'), host: 'web', port: 80 },
      { kind: 'reach', from: lab.n('client'), host: 'web', port: 81, reachable: false },
      { kind: 'reach', from: lab.n('client'), host: 'web' },
      { kind: 'http', from: lab.n('client'), url: 'http://web/', status: 200, body: { contains: 'Comptoir' } },
      { kind: 'http', url: `http://127.0.0.1:${port}/health.json`, status: 200, json: { status: 'ok', n: 3 } },
      { kind: 'http', url: `http://127.0.0.1:${port}/nope`, status: 404 },
      { kind: 'volume', name: lab.n('data'), mountedIn: [lab.n('cache')], file: { path: 'temoin.txt', contains: 'Marseille' } },
      { kind: 'compose', project: lab.prefix, services: ['api', 'db'], running: ['api', 'db'], healthy: ['db'], dependsOn: [{ service: 'api', on: 'db', condition: 'service_healthy' }], profiles: { debug: ['debug'] } },
      { kind: 'container', service: 'api', project: lab.prefix, running: true, count: 1 },
      { kind: 'image', name: `${lab.n('site')}:1.0`, nonRoot: true, healthcheck: true, exposedPorts: [8080], dockerfile: { path: 'site/Dockerfile', multiStage: true } },
      { kind: 'file', path: 'prometheus.yml', parse: 'yaml', keys: ['scrape_configs.0.static_configs'], values: { 'global.scrape_interval': '5s' }, contains: ['app:3000'] },
      { kind: 'command', run: 'echo hello; echo oops >&2', stdout: { matches: '^hello$' } },
      { kind: 'script', label: 'the working folder is the current directory', run: 'test -f prometheus.yml' },
    ])
    expect(failing(result)).toEqual([])
    expect(result.ranCommands).toBe(true)
  })

  test('failures from real probes say what was found', async () => {
    const result = await check([
      { kind: 'reach', from: lab.n('web'), host: lab.n('cache'), port: 80 },
      { kind: 'dns', from: lab.n('ghost'), host: 'web' },
      { kind: 'http', url: `http://127.0.0.1:${port}/`, body: 'nothing like it' },
      { kind: 'http', url: 'http://127.0.0.1:9/', status: 200 },
      { kind: 'file', path: 'missing.yaml', parse: 'yaml' },
      { kind: 'volume', name: lab.n('data'), file: { path: 'absent.txt' } },
      { kind: 'image', name: `${lab.n('site')}:2.0` },
    ])
    const messages = result.assertions.map((a) => renderAssertion(a))
    expect(messages[0]).toBe(`depuis ${lab.n('web')}, ${lab.n('cache')}:80 n’est pas joignable`)
    expect(messages[1]).toBe(`il n’y a pas de conteneur ${lab.n('ghost')} depuis lequel tester`)
    expect(messages[2]).toMatch(/^GET http:\/\/127.0.0.1:\d+\/ depuis node1 répond 200$/)
    expect(messages[3]).toBe('la réponse de http://127.0.0.1:' + port + '/ ne correspond pas à « nothing like it » (reçu : <h1>Le Comptoir</h1>)')
    // curl's failure is told as its cause; curl's own line is kept apart, for the disclosure.
    expect(messages[4]).toBe('GET http://127.0.0.1:9/ depuis node1 a échoué : rien ne répond sur 127.0.0.1, port 9 (aucun service n’y écoute, ou l’hôte n’est pas joignable)')
    expect(renderAssertionWithOutputs(result.assertions[4]!).outputs.join('\n')).toMatch(/^curl: \(7\)/)
    expect(messages).toContain('le fichier missing.yaml n’existe pas')
    expect(messages).toContain(`le volume ${lab.n('data')} ne contient pas de fichier absent.txt`)
    expect(messages).toContain(`aucune image ${lab.n('site')}:2.0 (vouliez-vous dire : ${lab.n('site')}:1.0 ?)`)
  })

  test('data outlives a container replacement', async () => {
    const vol = lab.n('data')
    const defs = [{ kind: 'volume', name: vol, survivedReplacement: { container: lab.n('cache'), path: 'temoin.txt' } }]
    expect(failing(await check(defs))[0]).toMatch(/a été écrit après la création de/)
    await new Promise((r) => setTimeout(r, 1100))
    await docker('rm', '-f', lab.n('cache'))
    await docker('run', '-d', '--name', lab.n('cache'), '--network', lab.n('back'), '-v', `${vol}:/data`, BUSYBOX, 'sleep', '600')
    expect(failing(await check(defs))).toEqual([])
  })
})

describe('limits', () => {
  test('a slow script is stopped inside the budget and reported on its line; the rest still counts', async () => {
    const started = Date.now()
    const result = await check([{ kind: 'network', name: 'bridge' }, { kind: 'script', label: 'slow', run: 'sleep 30' }], 3)
    // Stopped by the 3 s budget, long before the script's 30 s (a wide margin: CI is loaded).
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(result.assertions.map((a) => [a.passed, renderAssertion(a)])).toEqual([
      [true, 'le réseau bridge existe (pilote bridge)'],
      [false, 'slow : la vérification a dépassé le temps imparti'],
    ])
  })

  test('a read that hangs past the budget stops the whole check with a clear error, in time', async () => {
    const started = Date.now()
    const hung = { ...lab.target, exec: () => new Promise<never>(() => {}) }
    const error = await runChecks(parse([{ kind: 'network', name: 'bridge' }, { kind: 'file', path: 'compose.yaml' }]), () => hung, { defaultNode: 'node1', timeoutSeconds: 2 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CheckTimeoutError)
    expect((error as Error).message).toBe('the check took longer than its 2 s budget (still waiting for: file compose.yaml)')
    // The read never returns: only the budget can have ended the check.
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  test('a daemon that is gone is reported as such', async () => {
    const gone = dockerClientForSocket(path.join(lab.workdir, 'no-daemon.sock'))
    const error = await runChecks(parse([{ kind: 'container', name: 'x' }]), () => ({ node: 'node1', docker: gone, exec: hostExec(lab.workdir) }), { defaultNode: 'node1', timeoutSeconds: 5 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DaemonUnavailableError)
    expect((error as Error).message).toBe('the Docker daemon of node node1 cannot be reached; the sandbox may have stopped')
  })
})
