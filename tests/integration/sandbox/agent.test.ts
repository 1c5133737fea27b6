// quai-web's sandboxes through a real quai-agent process (agent.ts): every placement call and
// every node daemon call crosses the agent's unix socket, signed; and the agent refuses what
// quai-web would never send. Needs root, Docker and `npm run images:build`.
import http from 'node:http'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { putEntries, readFileFromArchive } from '../../../lib/docker/archive.server'
import { followEvents } from '../../../lib/docker/events.server'
import { openExecStream } from '../../../lib/docker/exec-stream.server'
import { listImageTags } from '../../../lib/docker/reads.server'
import { agentConnectionIdle, dockerPassthroughPrefix, operationPath } from '../../../lib/sandbox/agent/protocol'
import { authHeader, hashBody, hostScope, signRequest, signatureWindowMs } from '../../../lib/sandbox/agent/signing'
import { execInNode, innerDocker, nodeAddress, nodeExecTarget, portRoute } from '../../../lib/sandbox/node-access.server'
import { endSandbox, openSandbox } from '../../../lib/sandbox/sandboxes.server'
import { sandboxPlacement, setSandboxPlacementForTests } from '../../../lib/sandbox/state.server'
import { holderCommand } from '../../../lib/terminal/bridge.server'
import { encodeHolderFrame, encodeHolderHello, HolderFrameType } from '../../../lib/terminal/protocol'
import { startTestAgent, type TestAgent } from '../../../scripts/split/agent-process'
import { cleanUpNamespace, createUser, leftovers, nothingLeft, withTestNamespace } from './support'

withTestNamespace('agent')

type Answer = { status: number; body: string }

function raw(agent: TestAgent, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: agent.socketPath, method, path, headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (response) => {
      let text = ''
      response.on('data', (d: Buffer) => (text += d.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    request.on('error', reject)
    request.end(body)
  })
}

const codeOf = (answer: Answer) => (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code

describe.sequential('sandboxes through quai-agent', () => {
  let agent: TestAgent
  let sandboxA = ''
  let sandboxB = ''

  beforeAll(async () => {
    for (const u of ['ana', 'ben']) await createUser(u)
    agent = await startTestAgent()
    setSandboxPlacementForTests(agent.placement)
  }, 60_000)

  afterAll(async () => {
    await cleanUpNamespace()
    await agent?.stop()
    setSandboxPlacementForTests(null)
  })

  it('keeps an idle connection open longer than quai-web keeps it in its pool (no request sent on a socket the agent is closing)', async () => {
    // The keep-alive race itself (a request written as the agent closes the socket: EPIPE) depends
    // on timing; what prevents it is checked here: an idle socket outlives Node's default 5 s
    // server timeout, and the client's pool drops sockets before the agent would.
    expect(agentConnectionIdle.clientMs).toBeLessThan(agentConnectionIdle.serverMs)
    const pool = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const ask = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const request = http.request({ socketPath: agent.socketPath, method: 'GET', path: '/v1/nothing-here', agent: pool }, (response) => {
          response.resume()
          response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: request.reusedSocket }))
        })
        request.on('error', reject)
        request.end()
      })
    try {
      expect((await ask()).reused).toBe(false)
      await new Promise((r) => setTimeout(r, 6500))
      const again = await ask()
      expect(again.status).toBeGreaterThanOrEqual(400)
      expect(again.reused, 'the same socket, still open after 6.5 s idle').toBe(true)
    } finally {
      pool.destroy()
    }
  })

  it('starts a sandbox, runs Docker in it, reads its daemon, opens a shell and moves files, all through the agent', async () => {
    const view = await openSandbox('ana', { lessonKey: 'docker/premiers-pas' })
    sandboxA = view.id
    expect(view.status).toBe('running')
    expect(sandboxPlacement()).toBe(agent.placement)

    const hi = await execInNode(sandboxA, 'node1', ['docker', 'run', '--rm', 'busybox', 'echo', 'through-the-agent'], { timeoutMs: 60_000 })
    expect(hi.stdout.trim()).toBe('through-the-agent')
    expect(hi.exitCode).toBe(0)

    // The checks' path: the node's inner daemon, through the agent's passthrough.
    expect(await listImageTags(await innerDocker(sandboxA, 'node1'))).toContain('busybox:latest')

    // The live checks' path: the event stream answers at once, while nothing happens yet.
    const events: string[] = []
    const stopEvents = await Promise.race([
      followEvents(await innerDocker(sandboxA, 'node1'), { onEvent: (e) => events.push(`${e.type}:${e.action}`), onEnd: () => undefined }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the event stream did not answer within 5 s')), 5000)),
    ])
    await execInNode(sandboxA, 'node1', ['docker', 'network', 'create', 'via-agent'])
    await expect.poll(() => events).toContain('network:create')
    stopEvents()

    // The terminal's path: an exec stream upgraded through the agent.
    const target = await nodeExecTarget(sandboxA, 'node1')
    const shell = await openExecStream(target, { cmd: target.command(holderCommand({ session: 'agent', cols: 100, rows: 30 })) })
    let out = ''
    shell.onOutput((d) => (out += d.toString('utf8')))
    const ended = new Promise<void>((resolve) => shell.onEnd(() => resolve()))
    shell.write(encodeHolderHello(undefined))
    shell.write(encodeHolderFrame(HolderFrameType.input, Buffer.from('echo "answer=$((6*7)) user=$(id -u)"; exit\n')))
    await Promise.race([ended, new Promise((r) => setTimeout(r, 15_000))])
    expect(out).toContain('answer=42 user=0')

    // The file panel's path: the archive API on the node's container.
    await putEntries(target, '/root/lab', [{ name: 'via-agent.txt', kind: 'file', body: Buffer.from('bonjour\n') }])
    expect((await readFileFromArchive(target, '/root/lab/via-agent.txt', 1024)).toString()).toBe('bonjour\n')
    expect((await execInNode(sandboxA, 'node1', ['cat', 'via-agent.txt'])).stdout).toBe('bonjour\n')

    expect(await nodeAddress(sandboxA, 'node1')).toMatch(/^\d+\.\d+\.\d+\.\d+$/)

    // The port proxy's path: a port the learner published, reached through the agent (signed), with the browser's Host kept.
    const served = await execInNode(sandboxA, 'node1', ['sh', '-c', "docker run -d -p 8080:8080 busybox sh -c 'mkdir -p /www && echo servi-par-agent > /www/index.html && httpd -f -p 8080 -h /www'"], { timeoutMs: 60_000 })
    expect(served.exitCode, served.stderr).toBe(0)
    const route = await portRoute(sandboxA, 'node1', 8080)
    expect(route.agent).toBeDefined()
    await expect
      .poll(
        () =>
          new Promise<string>((resolve) => {
            http
              .get({ ...route, path: '/index.html', headers: { host: 'p8080-abc.localhost:3000' } }, (response) => {
                let text = ''
                response.on('data', (d: Buffer) => (text += d.toString()))
                response.on('end', () => resolve(`${response.statusCode} ${text.trim()}`))
              })
              .on('error', (error) => resolve(error.message))
          }),
        { timeout: 20_000 },
      )
      .toBe('200 servi-par-agent')
    expect(await sandboxPlacement().diskSpace(sandboxA)).toMatchObject({ totalBytes: expect.any(Number) })
    expect((await sandboxPlacement().processCount(sandboxA))?.current).toBeGreaterThan(0)
  }, 180_000)

  it('refuses unsigned, forged, expired, replayed and wrong-sandbox requests, and engine calls a node does not need', async () => {
    sandboxB = (await openSandbox('ben', { lessonKey: 'docker/premiers-pas' })).id
    const path = operationPath('processCount')
    const body = JSON.stringify({ sandboxId: sandboxA })
    const sign = (overrides: { scope?: string; at?: number; key?: Buffer; body?: string } = {}) =>
      signRequest(overrides.key ?? agent.key, { method: 'POST', path, scope: overrides.scope ?? sandboxA, bodyHash: hashBody(overrides.body ?? body) }, overrides.at)

    const good = sign()
    expect((await raw(agent, 'POST', path, { [authHeader]: good }, body)).status).toBe(200)
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: good }, body))).toBe('agent_replayed')
    expect(codeOf(await raw(agent, 'POST', path, {}, body))).toBe('agent_unsigned')
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: 'v1 nonsense' }, body))).toBe('agent_malformed')
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: sign({ key: Buffer.alloc(32, 7) }) }, body))).toBe('agent_bad_signature')
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: sign({ at: Date.now() - signatureWindowMs - 5000 }) }, body))).toBe('agent_expired')
    // Signed for sandbox B, sent for sandbox A; and a body changed after signing.
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: sign({ scope: sandboxB, body: JSON.stringify({ sandboxId: sandboxB }) }) }, body))).toBe('agent_bad_signature')
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: sign({ scope: sandboxB }) }, body))).toBe('agent_wrong_sandbox')
    // A host-wide signature does not act on a sandbox.
    expect(codeOf(await raw(agent, 'POST', path, { [authHeader]: sign({ scope: hostScope }) }, body))).toBe('agent_wrong_sandbox')

    // Passthrough: signed for B, aimed at A's inner daemon.
    const innerA = `${dockerPassthroughPrefix(sandboxA, 'node1', 'inner')}/info`
    expect(codeOf(await raw(agent, 'GET', innerA, { [authHeader]: signRequest(agent.key, { method: 'GET', path: innerA, scope: sandboxB }) }))).toBe('agent_wrong_sandbox')
    expect((await raw(agent, 'GET', innerA, { [authHeader]: signRequest(agent.key, { method: 'GET', path: innerA, scope: sandboxA }) })).status).toBe(200)
    // The host engine gives a node its own container's calls, nothing else.
    const engine = dockerPassthroughPrefix(sandboxA, 'node1', 'engine')
    for (const call of [`${engine}/containers/json`, `${engine}/info`, `${engine}/images/json`]) {
      expect(codeOf(await raw(agent, 'GET', call, { [authHeader]: signRequest(agent.key, { method: 'GET', path: call, scope: sandboxA }) })), call).toBe('agent_call_refused')
    }
    const { containerId: containerB } = await nodeExecTarget(sandboxB, 'node1')
    const foreign = `${engine}/containers/${containerB}/json`
    expect(codeOf(await raw(agent, 'GET', foreign, { [authHeader]: signRequest(agent.key, { method: 'GET', path: foreign, scope: sandboxA }) }))).toBe('agent_call_refused')
    // An exec made for B cannot be started under A's name.
    const createPath = `${dockerPassthroughPrefix(sandboxB, 'node1', 'engine')}/containers/${containerB}/exec`
    const createBody = JSON.stringify({ Cmd: ['true'], AttachStdout: true })
    const created = await raw(agent, 'POST', createPath, { [authHeader]: signRequest(agent.key, { method: 'POST', path: createPath, scope: sandboxB }) }, createBody)
    expect(created.status).toBe(201)
    const execId = (JSON.parse(created.body) as { Id: string }).Id
    const startAsA = `${engine}/exec/${execId}/json`
    expect(codeOf(await raw(agent, 'GET', startAsA, { [authHeader]: signRequest(agent.key, { method: 'GET', path: startAsA, scope: sandboxA }) }))).toBe('agent_wrong_sandbox')
  }, 180_000)

  it('listens on a socket only its owner may use, and ends sandboxes leaving nothing behind', async () => {
    expect(fs.statSync(agent.socketPath).mode & 0o777).toBe(0o600)
    for (const id of [sandboxA, sandboxB]) {
      await endSandbox(id, 'stopped')
      expect(await leftovers(id)).toEqual(nothingLeft)
    }
    expect(await sandboxPlacement().listPlaced()).toEqual([])
  }, 120_000)
})
