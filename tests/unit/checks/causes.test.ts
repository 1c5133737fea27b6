import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { describe, expect, test } from 'vitest'
import { causeOf, outputContext, rawOutputParams, type Cause } from '../../../lib/checks/causes'
import { excerpt } from '../../../lib/checks/assertions'
import { parseHttp } from '../../../lib/checks/probes'
import { renderAssertion, renderAssertionWithOutputs } from '../../../lib/checks/render'
import en from '../../../messages/en/exercises.json'
import fr from '../../../messages/fr/exercises.json'

// A tool's failure, in the learner's words. The outputs are real: captured from the images
// learners use by fixtures/capture-outputs.ts (curl and the Docker CLI of the sandbox node;
// netshoot's curl, OpenBSD nc, BIND nslookup, GNU wget, iputils ping; busybox's applets).

type Captured = { id: string; image: string; command: string; exitCode: number; output: string }
const captured: Captured[] = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'tool-outputs.json'), 'utf8'))
const output = (id: string): Captured => {
  const found = captured.find((c) => c.id === id)
  if (!found) throw new Error(`no captured output ${id}`)
  return found
}

/** As a command check sees it: the output evaluate/probes.ts quotes (cut to 160 characters), with the command and its exit code. */
function causeOfCaptured(id: string): Cause | null {
  const c = output(id)
  return causeOf(excerpt(c.output, 160), { command: c.command, exitCode: c.exitCode })
}

const refused = (host: string, port = 'none') => ({ key: 'cause.refused', params: { host, port } })
const connectFailed = (host: string, port: string) => ({ key: 'cause.connectFailed', params: { host, port } })
const unresolved = (host: string) => ({ key: 'cause.unresolved', params: { host } })

const expected: Record<string, { key: string; params?: Record<string, string | number> } | null> = {
  // curl: its error number says the cause, its text the host and port
  'curl-refused': connectFailed('srv', '85'),
  'curl-refused-localhost': connectFailed('localhost', '8081'),
  'curl-unresolved': unresolved('nope.invalid'),
  'curl-no-route': connectFailed('10.78.0.200', '80'),
  // "Connection timed out after 2003 milliseconds": the host and port come from the command's URL
  'curl-connect-timeout': { key: 'cause.connectTimeout', params: { host: '10.78.0.2', port: '84' } },
  'curl-max-time-connect': { key: 'cause.connectTimeout', params: { host: '10.78.0.2', port: '84' } },
  'curl-response-timeout': { key: 'cause.responseTimeout', params: { seconds: '2' } },
  'curl-404': { key: 'cause.httpStatus', params: { status: '404' } },
  // busybox nc -e true closes at once: curl reads a reset
  'curl-empty-reply': { key: 'cause.reset', params: {} },
  'curl-tls-on-http': { key: 'cause.tls', params: {} },
  'curl-self-signed': { key: 'cause.certificateUntrusted', params: {} },
  'curl-bad-protocol': { key: 'cause.badUrl', params: {} },
  // curl -s prints nothing: its exit code says it
  'curl-silent-refused': connectFailed('srv', '85'),
  'curl-silent-404': { key: 'cause.httpError', params: {} },
  // wget
  'wget-gnu-refused': refused('srv', '85'),
  'wget-gnu-unresolved': unresolved('nope.invalid'),
  // GNU wget's progress lines: cut at 160 characters, the line ends before the status it got,
  // so it is shown as it is (an http check runs wget -q and reads the status itself)
  'wget-gnu-404': null,
  'wget-busybox-refused': refused('10.78.0.2'),
  'wget-busybox-unresolved': unresolved('nope.invalid'),
  'wget-busybox-404': { key: 'cause.httpStatus', params: { status: '404' } },
  'wget-busybox-no-route': { key: 'cause.noRoute', params: { host: '10.78.0.200' } },
  // nc
  'nc-openbsd-refused': refused('srv', '85'),
  'nc-openbsd-timeout': { key: 'cause.connectTimeout', params: { host: '10.78.0.2', port: '84' } },
  'nc-openbsd-unresolved': unresolved('nope.invalid'),
  'nc-openbsd-no-route': { key: 'cause.noRoute', params: { host: '10.78.0.200' } },
  'nc-openbsd-silent-refused': connectFailed('srv', '85'),
  'nc-busybox-refused': refused('10.78.0.2'),
  'nc-busybox-unresolved': unresolved('nope.invalid'),
  // bash's /dev/tcp
  'bash-tcp-refused': refused('srv', '85'),
  'bash-tcp-unresolved': unresolved('nope.invalid'),
  // name lookups
  'nslookup-bind-unresolved': unresolved('nope.invalid'),
  'nslookup-busybox-unresolved': unresolved('nope.invalid'),
  'getent-unresolved': unresolved('nope.invalid'),
  'ping-iputils-unresolved': unresolved('nope.invalid'),
  'ping-busybox-unresolved': unresolved('nope.invalid'),
  'dig-no-server': { key: 'cause.dnsTimeout', params: {} },
  // a resolver that does not answer
  'curl-dns-down': { key: 'cause.dnsTimeout', params: {} },
  'wget-gnu-dns-down': unresolved('nope.invalid'),
  'nc-openbsd-dns-down': unresolved('nope.invalid'),
  'nslookup-bind-dns-down': { key: 'cause.dnsTimeout', params: {} },
  'nslookup-busybox-dns-down': { key: 'cause.dnsTimeout', params: {} },
  'ping-iputils-dns-down': unresolved('nope.invalid'),
  // the shell and files
  'bash-command-not-found': { key: 'cause.commandNotFound', params: { name: 'jqq' } },
  'sh-command-not-found': { key: 'cause.commandNotFound', params: { name: 'jqq' } },
  'cat-missing': { key: 'cause.noSuchFile', params: { path: 'nope.txt' } },
  'cat-busybox-missing': { key: 'cause.noSuchFile', params: { path: 'nope.txt' } },
  'bash-script-missing': { key: 'cause.noSuchFile', params: { path: './run.sh' } },
  // the Docker CLI and Compose
  'docker-exec-no-container': { key: 'cause.noContainer', params: { name: 'nope' } },
  'docker-inspect-no-object': { key: 'cause.noObject', params: { name: 'nope' } },
  'docker-image-inspect-missing': { key: 'cause.noImage', params: { name: 'nope:1.0' } },
  'docker-logs-no-container': { key: 'cause.noContainer', params: { name: 'nope' } },
  'docker-volume-missing': { key: 'cause.noVolume', params: { name: 'nope' } },
  'docker-exec-no-binary': { key: 'cause.commandNotFound', params: { name: 'jqq' } },
  'docker-no-daemon': { key: 'cause.noDaemon', params: {} },
  'compose-no-file': { key: 'cause.noComposeFile', params: {} },
  'docker-exec-stopped': { key: 'cause.containerNotRunning' },
}

describe('real tool outputs are told as their cause', () => {
  test('every captured output has an expectation, and every expectation a capture that failed', () => {
    expect(captured.map((c) => c.id).sort()).toEqual(Object.keys(expected).sort())
    for (const c of captured) expect(c.exitCode, c.id).not.toBe(0)
  })

  for (const [id, cause] of Object.entries(expected)) {
    test(id, () => {
      const found = causeOfCaptured(id)
      if (cause === null) return expect(found).toBeNull()
      expect(found, `${output(id).command} → ${output(id).output}`).not.toBeNull()
      if (cause.params) expect(found).toEqual(cause)
      else expect(found!.key).toBe(cause.key)
    })
  }

  test('what the http probe keeps of curl and wget (parseHttp) is recognised the same way', () => {
    const curl = output('curl-refused-localhost')
    const probe = parseHttp(curl.exitCode, 'curl\n', curl.output)
    expect(probe).toMatchObject({ outcome: 'error' })
    expect(causeOf(excerpt((probe as { error: string }).error, 200))).toEqual(connectFailed('localhost', '8081'))
    const wget = output('wget-busybox-unresolved')
    const viaWget = parseHttp(0, `wget\n${wget.output}`, '')
    expect(causeOf((viaWget as { error: string }).error)).toEqual(unresolved('nope.invalid'))
    // curl said nothing at all: its exit code, and the URL the check requested.
    expect(causeOf('curl exited with 7')).toEqual(connectFailed('none', 'none'))
    expect(causeOf('curl exited with 7', outputContext('http.error', { url: 'https://api.localhost/' }))).toEqual(connectFailed('api.localhost', '443'))
  })

  test('outputs of tools on Debian 12 (curl 7.88, busybox 1.35), captured on the host', () => {
    expect(causeOf("curl: (7) Failed to connect to localhost port 8081 after 0 ms: Couldn't connect to server")).toEqual(connectFailed('localhost', '8081'))
    expect(causeOf('curl: (52) Empty reply from server')).toEqual({ key: 'cause.emptyReply', params: {} })
    expect(causeOf('curl: (3) bad range specification in URL position 9: http://[::1 ^')).toEqual({ key: 'cause.badUrl', params: {} })
    expect(causeOf('curl: (35) OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number')).toEqual({ key: 'cause.tls', params: {} })
    expect(causeOf("wget: server returned error: HTTP/1.0 503 Service Unavailable")).toEqual({ key: 'cause.httpStatus', params: { status: '503' } })
    expect(causeOf('Connecting to 127.0.0.1:18766... failed: Connection refused.')).toEqual(refused('127.0.0.1', '18766'))
    expect(causeOf("nc: can't connect to remote host (127.0.0.1): Connection refused")).toEqual(refused('127.0.0.1'))
    expect(causeOf('Error: No such object: nope-x')).toEqual({ key: 'cause.noObject', params: { name: 'nope-x' } })
  })

  test('parsers: YAML (the library checks use) and JSON.parse, with their line and column', () => {
    const yamlError = (text: string) => {
      try {
        parseYaml(text)
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('parsed')
    }
    const jsonError = (text: string) => {
      try {
        JSON.parse(text)
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('parsed')
    }
    expect(causeOf(yamlError('services:\n  web:\n    image: nginx\n   ports: [80]\n'))).toMatchObject({ key: 'cause.syntaxAt' })
    expect(causeOf(yamlError('a: b: c'))).toEqual({ key: 'cause.syntaxAt', params: { line: '1', column: '4' } })
    expect(causeOf(jsonError('{"a":1,}'))).toEqual({ key: 'cause.syntaxPosition', params: { position: 8 } })
    expect(causeOf(jsonError('{"a":'))).toEqual({ key: 'cause.syntaxEnd', params: {} })
    expect(causeOf(jsonError('Bad Gateway'))).toEqual({ key: 'cause.unexpectedCharacter', params: { character: 'B' } })
    expect(causeOf("yaml: line 3: mapping values are not allowed in this context")).toEqual({ key: 'cause.syntaxLine', params: { line: '3' } })
  })

  test('the exit code alone speaks only for a simple command: not a pipeline, whose status is its last command’s', () => {
    expect(causeOf('', { command: 'curl -fs http://localhost:8080/api', exitCode: 7 })).toEqual(connectFailed('localhost', '8080'))
    expect(causeOf('', { command: 'docker exec sonde getent hosts cache', exitCode: 2 })).toEqual(unresolved('cache'))
    expect(causeOf('', { command: 'curl -fs http://localhost:9090/ | jq -e .ok', exitCode: 7 })).toBeNull()
    expect(causeOf('', { command: 'getent passwd nobody2', exitCode: 2 })).toBeNull()
    expect(causeOf('', { command: 'test -f x', exitCode: 1 })).toBeNull()
    expect(causeOf('', {})).toBeNull()
  })

  test('what Quai does not recognise, including an author’s own words, is left as it is', () => {
    expect(causeOf('les deux images sont identiques : le code n’a pas changé')).toBeNull()
    expect(causeOf('FAILED: parsing YAML file x.yml: yaml: unmarshal errors')).toBeNull()
    expect(causeOf('curl: (47) Maximum (50) redirects followed')).toBeNull()
  })
})

describe('rendered messages: the cause in the text, the raw output apart', () => {
  const curl = output('curl-refused-localhost')
  const stored = {
    key: 'http.error' as const,
    params: { method: 'GET', url: 'http://localhost:8081/', where: { key: 'http.fromNode' as const, params: { node: 'node1' } }, error: excerpt(curl.output, 200) },
  }

  test('an http line: the cause in French and in English, curl’s line as the output', () => {
    expect(renderAssertionWithOutputs(stored, 'fr')).toEqual({
      text: 'GET http://localhost:8081/ depuis node1 a échoué : rien ne répond sur localhost, port 8081 (aucun service n’y écoute, ou l’hôte n’est pas joignable)',
      outputs: [excerpt(curl.output, 200)],
    })
    expect(renderAssertionWithOutputs(stored, 'en').text).toBe('GET http://localhost:8081/ from node1 failed: nothing answers on localhost port 8081 (no service listens there, or the host cannot be reached)')
    expect(excerpt(curl.output, 200)).toMatch(/^curl: \(7\) Failed to connect to localhost port 8081 after \d+ ms/)
    // The plain rendering (the class dashboard's most failed list, the student view): no raw output in the line.
    expect(renderAssertion(stored, 'en')).not.toContain('curl:')
  })

  test('a labelled command: the cause inside the nested detail, the output kept', () => {
    const nc = output('nc-openbsd-refused')
    const detail = { key: 'command.exit.differs' as const, params: { command: nc.command, expected: 0, found: nc.exitCode, output: excerpt(nc.output, 160) } }
    const line = renderAssertionWithOutputs({ key: 'command.labelled.fail', params: { label: 'le serveur écoute sur 85', detail } }, 'fr')
    expect(line.text).toBe(`le serveur écoute sur 85 : non vérifié (la commande « ${nc.command} » se termine avec le code 1, attendu 0 : srv a refusé la connexion sur le port 85 (aucun service n’y écoute))`)
    expect(line.outputs).toEqual([excerpt(nc.output, 160)])
  })

  test('a silent command: the cause from its exit code, and no empty output to show', () => {
    const c = output('getent-unresolved')
    const line = renderAssertionWithOutputs({ key: 'command.exit.differs', params: { command: c.command, expected: 0, found: c.exitCode, output: { key: 'value.empty', params: {} } } }, 'en')
    expect(line).toEqual({ text: 'command “getent hosts nope.invalid” exits with code 2, expected 0: the name nope.invalid does not resolve (no container, service or host by that name is known from here)', outputs: [] })
  })

  test('an output Quai does not recognise stays in the line, with nothing apart', () => {
    const line = renderAssertionWithOutputs({ key: 'script.fail', params: { label: 'couches', exitCode: 1, output: 'des couches antérieures au code ont été reconstruites' } }, 'fr')
    expect(line).toEqual({ text: 'couches : non vérifié (code 1) : des couches antérieures au code ont été reconstruites', outputs: [] })
  })

  test('HTTP statuses, Compose files and parse errors in both languages', () => {
    const status = { key: 'http.error' as const, params: { method: 'GET', url: 'http://web/', where: { key: 'http.fromContainer' as const, params: { container: 'client' } }, error: 'wget: server returned error: HTTP/1.1 502 Bad Gateway' } }
    expect(renderAssertion(status, 'fr')).toBe('GET http://web/ depuis le conteneur client a échoué : le serveur a répondu par une erreur, HTTP 502 (mauvaise passerelle : le service derrière ne répond pas)')
    expect(renderAssertion(status, 'en')).toBe('GET http://web/ from container client failed: the server answered with an error, HTTP 502 (bad gateway: the service behind it does not answer)')
    expect(renderAssertion({ key: 'compose.file.unreadable', params: { project: 'app', error: 'missing' } }, 'en')).toBe('the Compose file of project app is missing or unreadable (the file does not exist)')
    expect(renderAssertion({ key: 'file.parse.invalid', params: { path: 'compose.yaml', format: 'yaml', error: 'Nested mappings are not allowed in compact mappings at line 1, column 4:' } }, 'fr')).toBe('le fichier compose.yaml n’est pas du YAML valide : erreur de syntaxe à la ligne 1, colonne 4')
  })

  test('every message key with raw output exists, and every cause renders in both catalogues', () => {
    const leaves = (o: Record<string, unknown>, prefix = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : leaves(v as Record<string, unknown>, `${prefix}${k}.`)))
    const keys = new Set(leaves(fr.check))
    for (const key of Object.keys(rawOutputParams)) expect(keys.has(key), key).toBe(true)
    expect(Object.keys(fr.check.cause).sort()).toEqual(Object.keys(en.check.cause).sort())
    expect(outputContext('command.exit.differs', { command: 'curl x', found: 7 })).toEqual({ command: 'curl x', exitCode: 7 })
  })
})

describe('a full disk', () => {
  // Real outputs of a sandbox whose disk is full (tests/integration/sandbox/disk-full-terminal.test.ts).
  const dockerRun =
    "Unable to find image 'busybox:latest' locally\nlatest: Pulling from library/busybox\n0934c4199387: Pulling fs layer\ndocker: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host.\nSee 'docker run --help'.\n"
  test('"no space left on device" is the disk, whatever the context', () => {
    expect(causeOf('bash: line 1: more: No space left on device')).toEqual({ key: 'cause.diskFull', params: {} })
  })
  test("docker run's registry error is the disk only when the disk is known to be full", () => {
    expect(causeOf(dockerRun, { command: 'docker run --rm busybox true', exitCode: 125, diskFull: true })).toEqual({ key: 'cause.diskFull', params: {} })
    expect(causeOf(dockerRun, { command: 'docker run --rm busybox true', exitCode: 125 })?.key).toBe('cause.imageNotLocal')
    expect(causeOf('nc: bad address \'web\'', { diskFull: true })?.key).toBe('cause.unresolved')
  })
  test('both languages say it', () => {
    expect(en.check.cause.diskFull).toMatch(/disk is full/)
    expect(fr.check.cause.diskFull).toMatch(/disque/)
  })
})
