import { describe, expect, it } from 'vitest'
import { agentOperations, allowedEngineCall, parsePassthroughPath, scopeOf } from '../../../lib/sandbox/agent/protocol'
import { hashBody, hostScope, NonceMemory, parseAgentKey, signRequest, signatureWindowMs, verifyRequest } from '../../../lib/sandbox/agent/signing'

const key = Buffer.from('k'.repeat(40))
const request = { method: 'POST', path: '/v1/ops/destroy', scope: 'sb1', bodyHash: hashBody('{"sandboxId":"sb1"}') }

describe('signed agent requests', () => {
  it('accepts a fresh signature once, and says why it refuses the others', () => {
    const nonces = new NonceMemory(0)
    const now = 1_000_000
    const header = signRequest(key, request, now)
    expect(verifyRequest(key, header, request, nonces, now)).toEqual({ ok: true })
    expect(verifyRequest(key, header, request, nonces, now + 10)).toEqual({ ok: false, refusal: 'replayed' })
    expect(verifyRequest(key, undefined, request, nonces, now)).toEqual({ ok: false, refusal: 'unsigned' })
    expect(verifyRequest(key, 'Bearer x', request, nonces, now)).toEqual({ ok: false, refusal: 'malformed' })
    expect(verifyRequest(Buffer.from('o'.repeat(40)), signRequest(key, request, now), request, nonces, now)).toEqual({ ok: false, refusal: 'bad_signature' })
    expect(verifyRequest(key, signRequest(key, request, now), { ...request, path: '/v1/ops/create' }, nonces, now)).toEqual({ ok: false, refusal: 'bad_signature' })
    expect(verifyRequest(key, signRequest(key, request, now), { ...request, bodyHash: hashBody('{}') }, nonces, now)).toEqual({ ok: false, refusal: 'bad_signature' })
    expect(verifyRequest(key, signRequest(key, request, now - signatureWindowMs - 1), request, nonces, now)).toEqual({ ok: false, refusal: 'expired' })
    expect(verifyRequest(key, signRequest(key, request, now + signatureWindowMs + 1), request, nonces, now)).toEqual({ ok: false, refusal: 'expired' })
    expect(verifyRequest(key, signRequest(key, { ...request, scope: 'sb2' }, now), request, nonces, now)).toEqual({ ok: false, refusal: 'wrong_sandbox' })
    // A body the agent holds must be covered; a streamed one cannot claim to be.
    expect(verifyRequest(key, signRequest(key, { ...request, bodyHash: undefined }, now), request, nonces, now)).toEqual({ ok: false, refusal: 'malformed' })
  })

  it('a restarted agent refuses what was signed before it started (its predecessor may have seen it)', () => {
    const header = signRequest(key, request, 5_000)
    expect(verifyRequest(key, header, request, new NonceMemory(6_000), 6_000)).toEqual({ ok: false, refusal: 'expired' })
  })

  it('keys are long enough, and named when not', () => {
    expect(() => parseAgentKey('short', '/etc/quai/agent.key')).toThrow(/\/etc\/quai\/agent.key: .*at least 32/)
    expect(parseAgentKey(`${'x'.repeat(32)}\n`, 'f')).toHaveLength(32)
  })
})

describe('the agent protocol', () => {
  it('binds each operation to its sandbox, host-wide ones to none', () => {
    expect(scopeOf('destroy', { sandboxId: 'sb1' })).toBe('sb1')
    expect(scopeOf('exec', { node: { sandboxId: 'sb9', name: 'node1', containerId: 'c', socketPath: null }, cmd: ['true'], options: {} })).toBe('sb9')
    expect(scopeOf('listPlaced', {})).toBe(hostScope)
    expect(agentOperations.create.input.safeParse({ sandboxId: '../etc', userId: 'u', pooled: false, nodes: [{ name: 'node1', role: 'standalone' }], limits: { memoryMb: 1, cpus: 1, pids: 1, diskMb: 1 } }).success).toBe(false)
  })

  it('reads passthrough paths, and nothing else', () => {
    expect(parsePassthroughPath('/v1/sandboxes/sb1/nodes/node1/inner/v1.41/containers/json?all=1')).toEqual({ sandboxId: 'sb1', node: 'node1', target: 'inner', apiPath: '/v1.41/containers/json?all=1' })
    expect(parsePassthroughPath('/v1/sandboxes/sb1/nodes/node1/host/info')).toBeNull()
    expect(parsePassthroughPath('/v1/sandboxes/../nodes/node1/inner/info')).toBeNull()
  })

  it('gives a node the host-engine calls on its own container and its own execs only', () => {
    const own = 'a'.repeat(64)
    const exec = 'b'.repeat(64)
    expect(allowedEngineCall('POST', `/containers/${own}/exec`, own)).toEqual({ ok: true, createsExec: true })
    expect(allowedEngineCall('PUT', `/v1.41/containers/${own}/archive?path=/root`, own)).toEqual({ ok: true })
    expect(allowedEngineCall('GET', `/containers/${own}/json`, own)).toEqual({ ok: true })
    expect(allowedEngineCall('POST', `/exec/${exec}/start`, own)).toEqual({ ok: true, execId: exec })
    for (const [method, path] of [
      ['GET', `/containers/${'c'.repeat(64)}/json`],
      ['DELETE', `/containers/${own}`],
      ['POST', `/containers/${own}/kill`],
      ['GET', '/containers/json'],
      ['POST', '/containers/create'],
      ['GET', '/info'],
      ['POST', `/containers/${own}/json`],
    ] as const) {
      expect(allowedEngineCall(method, path, own), `${method} ${path}`).toEqual({ ok: false })
    }
  })
})
