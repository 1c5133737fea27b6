// The request side of the `http` check: the commands lib/checks/probes.ts builds, run for real
// (bash and the host's curl for the node; busybox sh and wget for a container without curl)
// against local servers that record what they received. No Docker: the parsing of what comes
// back is the same code the checks use (parseHttp).
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { curlArgs, httpContainerCommand, httpNodeCommand, NO_TOOL_EXIT, parseHttp, type HttpRequestSpec } from '../../../lib/checks/probes'

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
const seen: Seen[] = []
let plain: http.Server
let secure: https.Server
let httpBase = ''
let httpsBase = ''
let dir = ''

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  let body = ''
  req.on('data', (chunk: Buffer) => (body += chunk.toString()))
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
    if (req.url === '/redirect') {
      res.writeHead(308, { Location: 'https://api.localhost/' })
      return res.end()
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Strict-Transport-Security': 'max-age=31536000', 'X-Served-By': 'stand-in' })
    res.end('{"service":"api-demo"}')
  })
}

const listen = (server: http.Server | https.Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))))

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-http-request-'))
  // A self-signed certificate, as a learner's Traefik or nginx would serve in a lab.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' })
  plain = http.createServer(handler)
  secure = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, handler)
  httpBase = `http://127.0.0.1:${await listen(plain)}`
  httpsBase = `https://127.0.0.1:${await listen(secure)}`
  // A container without curl: busybox's sh, wget, timeout and cat, nothing else on PATH.
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p))
  if (!busybox) throw new Error('busybox-static is needed for this test: apt-get install -y busybox-static')
  fs.mkdirSync(path.join(dir, 'bin'))
  for (const applet of ['sh', 'wget', 'timeout', 'cat']) fs.symlinkSync(busybox, path.join(dir, 'bin', applet))
})

afterAll(() => {
  plain?.close()
  secure?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function spawnOut(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }))
  })
}

/** As run.server.ts does on the node: `bash -c` the command, parse its output. */
async function fromNode(spec: HttpRequestSpec) {
  const out = await spawnOut('bash', ['-c', httpNodeCommand(spec)])
  return { out, probe: parseHttp(out.exitCode, out.stdout, out.stderr) }
}

/** As run.server.ts does in a container: exec the argv, here with busybox only on PATH. */
async function fromBusyboxContainer(spec: HttpRequestSpec) {
  const [, ...args] = httpContainerCommand(spec)
  const out = await spawnOut(path.join(dir, 'bin/sh'), args, { ...process.env, PATH: path.join(dir, 'bin') })
  return { out, probe: parseHttp(out.exitCode, out.stdout, out.stderr) }
}

const last = () => seen.at(-1)!
/** Characters a shell would expand or split if the command quoted them wrongly. */
const tricky = `it's "quoted" $HOME \`id\` ; & | *`

describe('http check: the curl command', () => {
  test('arguments: method, headers, insecure, timeout, and the URL after --', () => {
    expect(curlArgs({ url: 'https://localhost/', method: 'GET', headers: { Host: 'api.localhost', Authorization: 'Basic YWRtaW46cXVhaS10cmFlZmlr' }, insecure: true, timeoutSeconds: 5 })).toEqual([
      'curl', '-sS', '-D', '-', '--max-time', '5', '-k', '-H', 'Host: api.localhost', '-H', 'Authorization: Basic YWRtaW46cXVhaS10cmFlZmlr', '--', 'https://localhost/',
    ])
    expect(curlArgs({ url: 'http://localhost/', method: 'HEAD', timeoutSeconds: 3 })).toEqual(['curl', '-sS', '-I', '--max-time', '3', '--', 'http://localhost/'])
    expect(curlArgs({ url: 'http://localhost/', method: 'POST', timeoutSeconds: 3 })).toEqual(['curl', '-sS', '-D', '-', '--max-time', '3', '-X', 'POST', '--', 'http://localhost/'])
    expect(httpNodeCommand({ url: 'http://x/', method: 'GET', headers: { 'X-A': tricky }, timeoutSeconds: 2 })).toBe(
      `echo curl; 'curl' '-sS' '-D' '-' '--max-time' '2' '-H' 'X-A: it'\\''s "quoted" $HOME \`id\` ; & | *' '--' 'http://x/'`,
    )
  })

  test('GET from the node sends the Host header and others verbatim, and reads status, headers and body', async () => {
    const { probe } = await fromNode({ url: `${httpBase}/`, method: 'GET', headers: { Host: 'api.localhost', Authorization: 'Basic YWRtaW46cXVhaS1ncmFmYW5h', 'X-Quai': tricky }, timeoutSeconds: 5 })
    expect(last()).toMatchObject({ method: 'GET', url: '/', body: '', headers: { host: 'api.localhost', authorization: 'Basic YWRtaW46cXVhaS1ncmFmYW5h', 'x-quai': tricky } })
    expect(probe).toMatchObject({ outcome: 'done', status: 200, body: '{"service":"api-demo"}', headers: { 'strict-transport-security': 'max-age=31536000', 'x-served-by': 'stand-in' } })
  })

  test('HEAD sends HEAD and reads the headers once, with an empty body', async () => {
    const { out, probe } = await fromNode({ url: `${httpBase}/`, method: 'HEAD', headers: { Host: 'api.localhost' }, timeoutSeconds: 5 })
    expect(last()).toMatchObject({ method: 'HEAD', headers: { host: 'api.localhost' } })
    expect(out.stdout.match(/^HTTP\//gm)).toHaveLength(1)
    expect(probe).toMatchObject({ outcome: 'done', status: 200, body: '', headers: { 'x-served-by': 'stand-in' } })
  })

  test('POST is sent without a body', async () => {
    const { probe } = await fromNode({ url: `${httpBase}/hook`, method: 'POST', timeoutSeconds: 5 })
    expect(last()).toMatchObject({ method: 'POST', url: '/hook', body: '' })
    expect(last().headers['content-type']).toBeUndefined()
    expect(probe).toMatchObject({ outcome: 'done', status: 200 })
  })

  test('insecure accepts a self-signed certificate; without it the check reads the TLS error', async () => {
    const ok = await fromNode({ url: `${httpsBase}/`, method: 'GET', headers: { Host: 'api.localhost' }, insecure: true, timeoutSeconds: 5 })
    expect(ok.probe).toMatchObject({ outcome: 'done', status: 200, body: '{"service":"api-demo"}' })
    expect(last().headers.host).toBe('api.localhost')
    const refused = await fromNode({ url: `${httpsBase}/`, method: 'GET', timeoutSeconds: 5 })
    expect(refused.probe).toMatchObject({ outcome: 'error', error: expect.stringMatching(/^curl: \(60\) .*certificate/) })
  })

  test('a redirect is not followed: the check reads the 3xx and its Location', async () => {
    const { probe } = await fromNode({ url: `${httpBase}/redirect`, method: 'GET', headers: { Host: 'api.localhost' }, timeoutSeconds: 5 })
    expect(probe).toMatchObject({ outcome: 'done', status: 308, headers: { location: 'https://api.localhost/' } })
  })
})

describe('http check from a container without curl: busybox wget', () => {
  test('GET sends the headers with --header and reads status, headers and body', async () => {
    const { probe } = await fromBusyboxContainer({ url: `${httpBase}/`, method: 'GET', headers: { Host: 'api.localhost', 'X-Quai': tricky }, timeoutSeconds: 5 })
    expect(last()).toMatchObject({ method: 'GET', headers: { host: 'api.localhost', 'x-quai': tricky } })
    expect(probe).toMatchObject({ outcome: 'done', status: 200, body: '{"service":"api-demo"}', headers: { 'x-served-by': 'stand-in' } })
  })

  test('insecure becomes --no-check-certificate', () => {
    const script = httpContainerCommand({ url: 'https://vitrine/', method: 'GET', insecure: true, timeoutSeconds: 5 })[2]!
    expect(script).toMatch(/wget -q -S -O - --no-check-certificate +'https:\/\/vitrine\/'/)
    expect(script).toMatch(/curl' '-sS' '-D' '-' '--max-time' '5' '-k'/)
  })

  test('HEAD and POST need curl: without it the check says which tool is missing, and sends nothing', async () => {
    const before = seen.length
    for (const method of ['HEAD', 'POST'] as const) {
      const { out, probe } = await fromBusyboxContainer({ url: `${httpBase}/`, method, timeoutSeconds: 5 })
      expect(out.exitCode).toBe(NO_TOOL_EXIT)
      expect(probe).toEqual({ outcome: 'no-tool', tools: 'curl, wget' })
    }
    expect(seen.length).toBe(before)
  })
})
