import { describe, expect, test } from 'vitest'
import { dockerfileStages, parseComposeDependsOnLabel, parseDns, parseFileRead, parseHttp, parseReach, NO_TOOL_EXIT, shq } from '../../../lib/checks/probes'
import { byId, container, evaluate, facts } from './helpers'

describe('probe output parsers', () => {
  test('dns: addresses, nothing, no tool, no shell', () => {
    expect(parseDns(0, '10.50.0.10\n')).toEqual({ outcome: 'done', addresses: ['10.50.0.10'] })
    expect(parseDns(0, '172.18.0.3\n172.18.0.2\n172.18.0.3\n')).toEqual({ outcome: 'done', addresses: ['172.18.0.3', '172.18.0.2'] })
    expect(parseDns(0, '')).toEqual({ outcome: 'done', addresses: [] })
    expect(parseDns(NO_TOOL_EXIT, '')).toMatchObject({ outcome: 'no-tool' })
    expect(parseDns(127, '')).toMatchObject({ outcome: 'no-tool' })
  })

  test('reach', () => {
    expect(parseReach(0, 'ok nc\n', 80)).toEqual({ outcome: 'done', reached: true, detail: 'nc' })
    expect(parseReach(0, 'fail bash\n', 80)).toEqual({ outcome: 'done', reached: false, detail: 'bash' })
    expect(parseReach(NO_TOOL_EXIT, '')).toEqual({ outcome: 'no-tool', tools: 'ping' })
  })

  test('http through curl -D -: status, headers, body; redirects and 100 Continue', () => {
    const out = 'curl\nHTTP/1.1 200 OK\r\nServer: nginx/1.27.0\r\nContent-Type: text/html\r\nStrict-Transport-Security: max-age=31536000\r\n\r\n<h1>Le Comptoir</h1>\n'
    expect(parseHttp(0, out, '')).toEqual({
      outcome: 'done', status: 200,
      headers: { server: 'nginx/1.27.0', 'content-type': 'text/html', 'strict-transport-security': 'max-age=31536000' },
      body: '<h1>Le Comptoir</h1>\n',
    })
    const cont = 'curl\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-A: b\r\n\r\n{"ok":true}'
    expect(parseHttp(0, cont, '')).toMatchObject({ status: 201, headers: { 'x-a': 'b' }, body: '{"ok":true}' })
    expect(parseHttp(0, 'curl\nHTTP/2 404 \r\ncontent-length: 0\r\n\r\n', '')).toMatchObject({ status: 404, body: '' })
    expect(parseHttp(7, 'curl\n', 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn\'t connect to server\n')).toEqual({
      outcome: 'error', error: 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn\'t connect to server',
    })
  })

  test('http through busybox wget -q -S (captured output)', () => {
    const ok = 'wget\n  HTTP/1.1 200 OK\n  Date: Sun, 22 Nov 2026 04:15:35 GMT\n  Content-type: text/html\n  Content-Length: 11\n  \nline1\nline2'
    expect(parseHttp(0, ok, '')).toEqual({ outcome: 'done', status: 200, headers: { date: 'Sun, 22 Nov 2026 04:15:35 GMT', 'content-type': 'text/html', 'content-length': '11' }, body: 'line1\nline2' })
    const notFound = 'wget\n  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n'
    expect(parseHttp(0, notFound, '')).toEqual({ outcome: 'done', status: 404, headers: {}, body: '' })
    expect(parseHttp(0, "wget\nwget: bad address 'nope'\n", '')).toEqual({ outcome: 'error', error: "wget: bad address 'nope'" })
  })

  test('file reads', () => {
    expect(parseFileRead('__QUAI_MISSING__\n')).toEqual({ outcome: 'missing' })
    expect(parseFileRead('__QUAI_NOT_A_FILE__\n')).toEqual({ outcome: 'not-a-file' })
    expect(parseFileRead('__QUAI_FILE__ 5 1763785000.123\nab\ncd')).toEqual({ outcome: 'read', content: 'ab\ncd', mtime: 1763785000.123 })
    expect(parseFileRead('__QUAI_FILE__ 2000000 1\n')).toEqual({ outcome: 'too-large', bytes: 2000000 })
  })

  test('helpers', () => {
    expect(shq("it's")).toBe(`'it'\\''s'`)
    expect(dockerfileStages('# syntax=docker/dockerfile:1\nFROM node:22 AS build\nRUN x \\\n  FROM y\nfrom nginx\n')).toEqual(['node:22 AS build', 'nginx'])
    expect(parseComposeDependsOnLabel('db:service_healthy:false,cache:service_started:true')).toEqual([
      { on: 'db', condition: 'service_healthy' },
      { on: 'cache', condition: 'service_started' },
    ])
  })
})

describe('checks read through probes', () => {
  test('dns: resolves, address, addressOf, must not resolve, probe blocked', () => {
    const f = facts({
      containers: [container('test-server')],
      probes: [['0', { kind: 'dns', outcome: 'done', addresses: ['10.77.0.2'] }], ['1', { kind: 'dns', outcome: 'done', addresses: [] }], ['2', { kind: 'dns', outcome: 'from-stopped' }], ['3', { kind: 'dns', outcome: 'no-tool', tools: 'getent, nslookup, dig, ping' }]],
    })
    const ok = evaluate({ kind: 'dns', from: 'outils', host: 'annuaire', address: '10.77.0.2', addressOf: 'test-server' }, f, 0)
    expect(ok.every((l) => l.passed)).toBe(true)
    expect(ok[0]!.fr).toBe('depuis outils, le nom annuaire se résout en 10.77.0.2')
    expect(evaluate({ kind: 'dns', from: 'sonde', host: 'cache', resolves: false }, f, 1)[0]).toMatchObject({ passed: true, fr: 'depuis sonde, le nom cache ne se résout pas, comme attendu' })
    expect(evaluate({ kind: 'dns', from: 'sonde', host: 'cache' }, f, 1)[0]).toMatchObject({ passed: false, en: 'from sonde, name cache does not resolve' })
    expect(evaluate({ kind: 'dns', from: 'sonde', host: 'cache' }, f, 2)[0]!.fr).toBe('le conteneur sonde ne tourne pas : impossible de tester depuis lui')
    expect(evaluate({ kind: 'dns', from: 'coffre', host: 'x' }, f, 3)[0]!.fr).toBe('le conteneur coffre n’a aucun outil pour ce test (cherchés : getent, nslookup, dig, ping)')
  })

  test('reach', () => {
    const f = facts({ probes: [['0', { kind: 'reach', outcome: 'done', reached: true, detail: 'nc' }], ['1', { kind: 'reach', outcome: 'done', reached: false, detail: 'nc' }]] })
    expect(evaluate({ kind: 'reach', from: 'sonde', host: 'web', port: 80 }, f, 0)[0]).toMatchObject({ passed: true, fr: 'depuis sonde, web:80 est joignable' })
    expect(evaluate({ kind: 'reach', from: 'sonde', host: 'cache' }, f, 1)[0]!.fr).toBe('depuis sonde, cache n’est pas joignable')
    expect(evaluate({ kind: 'reach', from: 'web', host: 'cache', port: 6379, reachable: false }, f, 1)[0]).toMatchObject({ passed: true })
  })

  test('http: status, headers, body, json; failures say what came back', () => {
    const body = JSON.stringify({ status: 'success', data: { activeTargets: [{ health: 'up', labels: { job: 'app' } }] } })
    const f = facts({
      probes: [
        ['0', { kind: 'http', outcome: 'done', status: 200, headers: { 'strict-transport-security': 'max-age=31536000' }, body }],
        ['1', { kind: 'http', outcome: 'error', error: 'curl: (7) Failed to connect to localhost port 8080' }],
        ['2', { kind: 'http', outcome: 'done', status: 502, headers: {}, body: 'Bad Gateway' }],
      ],
    })
    const ok = evaluate({ kind: 'http', url: 'http://localhost:9090/api/v1/targets', status: 200, responseHeaders: { 'Strict-Transport-Security': { contains: 'max-age=31536000' } }, body: { contains: '"health":"up"' }, json: { 'data.activeTargets.0.health': 'up', status: 'success' } }, f, 0)
    expect(ok.filter((l) => !l.passed)).toEqual([])
    expect(ok[0]!.fr).toBe('GET http://localhost:9090/api/v1/targets depuis node1 répond 200')
    const failed = evaluate({ kind: 'http', url: 'http://localhost:8080/', status: 200, body: { contains: 'Comptoir' } }, f, 1)
    expect(failed.map((l) => [l.id, l.passed, !!l.pending, l.fr])).toEqual([
      // curl's error is told as its cause (lib/checks/causes.ts); the checklist keeps the output under the line.
      ['http:node1:http://localhost:8080/:status', false, false, 'GET http://localhost:8080/ depuis node1 a échoué : rien ne répond sur localhost, port 8080 (aucun service n’y écoute, ou l’hôte n’est pas joignable)'],
      ['http:node1:http://localhost:8080/:body', false, true, 'la réponse de http://localhost:8080/ doit correspondre à un texte contenant « Comptoir »'],
    ])
    // Same lines, same ids, once the service answers: the checklist keeps its shape.
    expect(evaluate({ kind: 'http', url: 'http://localhost:8080/', status: 200, body: { contains: 'Comptoir' } }, f, 0).map((l) => l.id)).toEqual(failed.map((l) => l.id))
    const wrong = evaluate({ kind: 'http', from: 'client', url: 'http://vitrine/', body: 'ok', json: { a: 1 } }, f, 2)
    expect(wrong.map((l) => l.fr)).toEqual([
      'GET http://vitrine/ depuis le conteneur client répond 502, une erreur',
      'la réponse de http://vitrine/ ne correspond pas à « ok » (reçu : Bad Gateway)',
      'la réponse de http://vitrine/ n’est pas du JSON valide (caractère inattendu « B ») : Bad Gateway',
    ])
  })

  test('file: exists, contains, matches, parse, keys, values', () => {
    const yaml = 'global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ["app:3000"]\n'
    const f = facts({ probes: [['0', { kind: 'file', outcome: 'read', content: yaml, mtime: 0 }], ['1', { kind: 'file', outcome: 'missing' }], ['2', { kind: 'file', outcome: 'read', content: 'a: [1,\n', mtime: 0 }]] })
    const ok = evaluate({ kind: 'file', path: 'prometheus/prometheus.yml', contains: ['app:3000'], notContains: ['localhost:9090'], matches: ['job_name:\\s*app\\s*$'], parse: 'yaml', keys: ['scrape_configs.0.static_configs'], values: { 'global.scrape_interval': '5s', 'scrape_configs.0.job_name': 'app' } }, f, 0)
    expect(ok.filter((l) => !l.passed)).toEqual([])
    const missing = evaluate({ kind: 'file', path: 'compose.yaml', contains: ['x'], parse: 'yaml', keys: ['services'] }, f, 1)
    expect(missing.map((l) => [l.passed, !!l.pending])).toEqual([[false, false], [false, true], [false, true], [false, true]])
    expect(missing[0]!.fr).toBe('le fichier compose.yaml n’existe pas')
    const bad = evaluate({ kind: 'file', path: 'x.yaml', parse: 'yaml', values: { a: 1 } }, f, 2)
    expect(bad[1]!.fr).toMatch(/^le fichier x.yaml n’est pas du YAML valide : /)
    expect(evaluate({ kind: 'file', path: 'old.txt', exists: false }, f, 1)[0]).toMatchObject({ passed: true })
    expect(() => evaluate({ kind: 'file', path: 'x', keys: ['a'] }, f)).toThrow(/need .*parse/)
  })

  test('file with parse: json: keys and values by dot path, numbers and booleans, invalid JSON says why', () => {
    // The shape of a Trivy report (trivy image --format json), as secrets-et-analyse-d-images checks it.
    const report = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: 'quai/fournisseur-api:1.4',
      ArtifactType: 'container_image',
      Metadata: { OS: { Family: 'debian', Name: '13.1' }, ImageConfig: { config: { User: '' } } },
      Results: [{ Target: 'quai/fournisseur-api:1.4 (debian 13.1)', Class: 'os-pkgs', Vulnerabilities: [{ VulnerabilityID: 'CVE-2025-0001', Severity: 'HIGH' }] }],
      Scanned: true,
    }, null, 2)
    const f = facts({
      probes: [
        ['0', { kind: 'file', outcome: 'read', content: report, mtime: 0 }],
        ['1', { kind: 'file', outcome: 'read', content: 'ArtifactName: quai/fournisseur-api:1.4\nResults: []\n', mtime: 0 }],
        ['2', { kind: 'file', outcome: 'read', content: '', mtime: 0 }],
        ['3', { kind: 'file', outcome: 'read', content: '[{"name":"web","ports":[80,443]}]', mtime: 0 }],
        ['4', { kind: 'file', outcome: 'missing' }],
      ],
    })
    const trivy = { kind: 'file', path: 'rapports/trivy.json', parse: 'json', keys: ['Results', 'Metadata', 'Results.0.Vulnerabilities.0.VulnerabilityID'], values: { ArtifactName: 'quai/fournisseur-api:1.4', ArtifactType: 'container_image' } }
    const ok = evaluate(trivy, f, 0)
    expect(ok.map((l) => [l.id, l.passed])).toEqual([
      ['file:rapports/trivy.json:exists', true],
      ['file:rapports/trivy.json:parse', true],
      ['file:rapports/trivy.json:key:Results', true],
      ['file:rapports/trivy.json:key:Metadata', true],
      ['file:rapports/trivy.json:key:Results.0.Vulnerabilities.0.VulnerabilityID', true],
      ['file:rapports/trivy.json:value:ArtifactName', true],
      ['file:rapports/trivy.json:value:ArtifactType', true],
    ])
    expect(ok[1]!.fr).toMatch(/rapports\/trivy\.json .*JSON/)
    expect(byId(ok, 'file:rapports/trivy.json:value:ArtifactName').fr).toBe('dans rapports/trivy.json, ArtifactName vaut quai/fournisseur-api:1.4')
    // Numbers and booleans: 2 and "2" are equal, true and "true" too; a different value says what it found.
    const typed = evaluate({ kind: 'file', path: 'r.json', parse: 'json', values: { SchemaVersion: 2, 'Metadata.OS.Family': 'debian', Scanned: true, 'Results.0.Vulnerabilities.0.Severity': 'CRITICAL' } }, f, 0)
    expect(typed.map((l) => l.passed)).toEqual([true, true, true, true, true, false])
    expect(typed[5]!.fr).toBe('dans r.json, Results.0.Vulnerabilities.0.Severity vaut HIGH, attendu CRITICAL')
    expect(evaluate({ kind: 'file', path: 'r.json', parse: 'json', values: { SchemaVersion: '2' } }, f, 0)[2]!.passed).toBe(true)
    // A missing key, and a path through an object that is not there.
    const absent = evaluate({ kind: 'file', path: 'r.json', parse: 'json', keys: ['Metadata.RepoTags', 'Results.3.Target'], values: { 'Metadata.OS.Version': '13' } }, f, 0)
    expect(absent.slice(2).map((l) => [l.passed, l.fr])).toEqual([
      [false, 'le fichier r.json ne définit pas Metadata.RepoTags'],
      [false, 'le fichier r.json ne définit pas Results.3.Target'],
      [false, 'le fichier r.json ne définit pas Metadata.OS.Version'],
    ])
    // YAML is not JSON: parse: json refuses it, and the keys wait for a file that parses.
    const yaml = evaluate(trivy, f, 1)
    expect(yaml.map((l) => [l.passed, !!l.pending])).toEqual([[true, false], [false, false], [false, true], [false, true], [false, true], [false, true], [false, true]])
    expect(yaml[1]!.fr).toMatch(/^le fichier rapports\/trivy\.json n’est pas du JSON valide : /)
    expect(yaml[1]!.en).toMatch(/JSON/)
    expect(evaluate(trivy, f, 2)[1]!.fr).toMatch(/n’est pas du JSON valide : le texte s’arrête avant d’être complet$/)
    // A JSON array at the top: numbers index it.
    expect(evaluate({ kind: 'file', path: 'services.json', parse: 'json', keys: ['0.ports.1'], values: { '0.name': 'web', '0.ports.0': 80 } }, f, 3).every((l) => l.passed)).toBe(true)
    // No file: one failed line, and everything else pending.
    expect(evaluate(trivy, f, 4).map((l) => [l.passed, !!l.pending])).toEqual([[false, false], ...Array.from({ length: 6 }, () => [false, true])])
  })

  test('command and script; labelled commands are one line', () => {
    const f = facts({
      probes: [
        ['0', { kind: 'command', exitCode: 0, stdout: 'SUCCESS: 2 rules found\n', stderr: '', timedOut: false }],
        ['1', { kind: 'command', exitCode: 1, stdout: '', stderr: 'Error: No such container: outils\n', timedOut: false }],
        ['2', { kind: 'command', exitCode: 124, stdout: '', stderr: '', timedOut: true }],
        ['3', { kind: 'command', exitCode: 0, stdout: '1\n', stderr: '', timedOut: false }],
      ],
    })
    expect(evaluate({ kind: 'command', run: 'promtool check rules x.yml', stdout: { contains: 'SUCCESS' } }, f, 0).map((l) => [l.id, l.passed])).toEqual([['command:0:exit', true], ['command:0:stdout', true]])
    expect(evaluate({ kind: 'command', run: 'echo 1', stdout: '1' }, f, 3)[1]!.passed).toBe(true)
    const labelled = evaluate({ kind: 'command', label: 'l’alias api renvoie deux adresses', run: "docker exec outils sh -c 'dig +short api | wc -l'", stdout: { matches: '^\\s*2\\s*$' } }, f, 1)
    expect(labelled).toHaveLength(1)
    expect(labelled[0]!.fr).toBe("l’alias api renvoie deux adresses : non vérifié (la commande « docker exec outils sh -c 'dig +short api | wc -l' » se termine avec le code 1, attendu 0 : il n’y a pas de conteneur outils)")
    expect(evaluate({ kind: 'script', label: 'la clé correspond au certificat', run: 'test a = a' }, f, 0)[0]).toMatchObject({ id: 'script:0', passed: true, fr: 'la clé correspond au certificat : vérifié' })
    expect(evaluate({ kind: 'script', label: 'ça répond', run: 'sleep 100' }, f, 2)[0]!.fr).toBe('ça répond : la vérification a dépassé le temps imparti')
    expect(byId(evaluate({ kind: 'script', label: 'x', run: 'false' }, f, 1), 'script:1').fr).toBe('x : non vérifié (code 1) : il n’y a pas de conteneur outils')
  })
})
