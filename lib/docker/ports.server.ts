import 'server-only'
import { z } from 'zod'
import type { DockerDaemon } from './client.server'
import { readDaemonJson } from './daemon-read.server'

// What the port proxy and the Ports tab need from Docker: the ports published by the
// containers a learner runs on a node's inner daemon.

export type PublishedPort = { port: number; protocol: string; container: string; targetPort: number | null }

/** A node's inner daemon (lib/sandbox hands out the client). */
export type InnerDaemonRef = { docker: DockerDaemon }

const listedPorts = z.object({
  Id: z.string(),
  Names: z.array(z.string()).nullish(),
  Ports: z
    .array(z.object({ PrivatePort: z.number().nullish(), PublicPort: z.number().nullish(), Type: z.string().nullish().transform((t) => t ?? 'tcp') }))
    .nullish(),
})

/** Published host ports of the running containers of an inner daemon (one entry per port); the answer is read with a cap (the learner sizes it). */
export async function listPublishedPorts(inner: InnerDaemonRef): Promise<PublishedPort[]> {
  const answer = await readDaemonJson(inner.docker, { path: '/containers/json', what: 'the container list' })
  const containers = (Array.isArray(answer) ? answer : []).map((raw) => listedPorts.parse(raw))
  const seen = new Map<string, PublishedPort>()
  for (const c of containers) {
    const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')
    for (const p of c.Ports ?? []) {
      if (!p.PublicPort) continue
      const key = `${p.PublicPort}/${p.Type}`
      if (!seen.has(key)) seen.set(key, { port: p.PublicPort, protocol: p.Type, container: name, targetPort: p.PrivatePort ?? null })
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port)
}
