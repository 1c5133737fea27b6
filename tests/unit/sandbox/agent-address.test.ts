import { describe, expect, it } from 'vitest'
import { listenProblem } from '../../../lib/env.server'
import { parseAgentAddress } from '../../../lib/sandbox/agent/address'
import { envOverrides } from '../../support/env-override'

describe('agent addresses', () => {
  it('listens on private addresses only, unless told', () => {
    for (const ok of ['10.0.0.5:7070', '127.0.0.1:7070', '172.20.1.1:80', '192.168.1.2:7070', '100.64.0.1:7070', '[fd00::1]:7070', '[::1]:7070']) expect(listenProblem(ok, false)).toBeNull()
    for (const bad of ['0.0.0.0:7070', '[::]:7070', '8.8.8.8:7070', '172.32.0.1:7070']) {
      expect(listenProblem(bad, false)).toMatch(/QUAI_AGENT_LISTEN_PUBLIC/)
      expect(listenProblem(bad, true)).toBeNull()
    }
    for (const malformed of ['agent.local:7070', '10.0.0.5', ':7070', '10.0.0.5:70000']) expect(listenProblem(malformed, true)).toMatch(/expected/)
  })

  it('reaches an agent by socket path or http://ip:port', () => {
    expect(parseAgentAddress('/run/quai/agent.sock')).toEqual({ kind: 'socket', path: '/run/quai/agent.sock' })
    expect(parseAgentAddress('http://10.0.0.5:7070')).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 7070 })
    expect(parseAgentAddress('http://[fd00::1]:7070/')).toEqual({ kind: 'tcp', host: 'fd00::1', port: 7070 })
    expect(parseAgentAddress('https://10.0.0.5:7070')).toBeNull()
    expect(parseAgentAddress('agent.sock')).toBeNull()
  })
})

describe('the agent variables in the environment', () => {
  const withEnv = envOverrides(['QUAI_AGENT_LISTEN', 'QUAI_AGENT_LISTEN_PUBLIC', 'QUAI_AGENT_LOST_SECONDS'])

  it('refuses a wildcard bind by name, unless QUAI_AGENT_LISTEN_PUBLIC=1', () => {
    expect(withEnv({ QUAI_AGENT_LISTEN: '0.0.0.0:7070' })).toThrow(/QUAI_AGENT_LISTEN: 0\.0\.0\.0 is not a private address/)
    expect(withEnv({ QUAI_AGENT_LISTEN: '0.0.0.0:7070', QUAI_AGENT_LISTEN_PUBLIC: '1' })().QUAI_AGENT_LISTEN).toBe('0.0.0.0:7070')
    expect(withEnv({ QUAI_AGENT_LISTEN: '10.0.0.5:7070', QUAI_AGENT_LISTEN_PUBLIC: '0' })().QUAI_AGENT_LISTEN).toBe('10.0.0.5:7070')
  })

  it('reads QUAI_AGENT_LOST_SECONDS (90 by default, at least 5)', () => {
    expect(withEnv({})().QUAI_AGENT_LOST_SECONDS).toBe(90)
    expect(withEnv({ QUAI_AGENT_LOST_SECONDS: '20' })().QUAI_AGENT_LOST_SECONDS).toBe(20)
    expect(withEnv({ QUAI_AGENT_LOST_SECONDS: '2' })).toThrow(/QUAI_AGENT_LOST_SECONDS/)
  })
})
