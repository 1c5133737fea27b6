import { parseListen } from '../../env.server'

// Where quai-web reaches a quai-agent: a unix socket path, or http://ip:port (where the agent
// listens, QUAI_AGENT_LISTEN, is checked in lib/env.server.ts).

export type AgentAddress = { kind: 'socket'; path: string } | { kind: 'tcp'; host: string; port: number }

/** A socket path, or http://host:port (an IP address, as in QUAI_AGENT_LISTEN). */
export function parseAgentAddress(value: string): AgentAddress | null {
  if (value.startsWith('/')) return { kind: 'socket', path: value }
  const http = /^http:\/\/(.+?)\/?$/.exec(value.trim())
  const listen = http ? parseListen(http[1]!) : null
  return listen ? { kind: 'tcp', ...listen } : null
}
