import fs from 'node:fs'
import path from 'node:path'
import type { Assertion } from '../../../lib/checks/assertions'
import { evaluateCheck } from '../../../lib/checks/evaluate'
import { emptyNodeFacts, type NodeFacts, type Probe } from '../../../lib/checks/facts'
import { checkSchema } from '../../../lib/content/check-kinds'
import { renderAssertion } from '../../../lib/checks/render'
import { containerFactsFromInspect, type ContainerFacts } from '../../../lib/docker/parse/container'
import {
  imageFactsFromInspect,
  networkFactsFromInspect,
  volumeFactsFromInspect,
  type ImageFacts,
  type NetworkFacts,
  type VolumeFacts,
} from '../../../lib/docker/parse/objects'

const fixtures = path.join(import.meta.dirname, 'fixtures')
export const raw = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), 'utf8'))

export const container = (name: string): ContainerFacts => containerFactsFromInspect(raw(`container-${name}`))
export const network = (name: string): NetworkFacts => networkFactsFromInspect(raw(`network-${name}`))
export const volume = (name: string): VolumeFacts => volumeFactsFromInspect(raw(`volume-${name}`))
export const image = (name: string): ImageFacts => imageFactsFromInspect(raw(`image-${name}`))

/** Facts for one node from real captured objects; names not given are "missing". */
export function facts(parts: {
  containers?: (ContainerFacts | [string, null])[]
  networks?: (NetworkFacts | [string, null])[]
  volumes?: (VolumeFacts | [string, null])[]
  images?: [string, ImageFacts | null][]
  labelQueries?: [string, string[]][]
  probes?: [string, Probe][]
  otherContainers?: string[]
  mutate?: (f: NodeFacts) => void
} = {}): NodeFacts {
  const f = emptyNodeFacts('node1')
  for (const c of parts.containers ?? []) f.containers.set(Array.isArray(c) ? c[0] : c.name, Array.isArray(c) ? null : c)
  for (const n of parts.networks ?? []) f.networks.set(Array.isArray(n) ? n[0] : n.name, Array.isArray(n) ? null : n)
  for (const v of parts.volumes ?? []) f.volumes.set(Array.isArray(v) ? v[0] : v.name, Array.isArray(v) ? null : v)
  for (const [name, i] of parts.images ?? []) f.images.set(name, i)
  for (const [q, names] of parts.labelQueries ?? []) f.labelQueries.set(q, names)
  for (const [k, p] of parts.probes ?? []) f.probes.set(k, p)
  f.otherNames.containers = parts.otherContainers ?? null
  parts.mutate?.(f)
  return f
}

export interface Line extends Assertion {
  fr: string
  en: string
}

/** Validate a check as content:check would, evaluate it, and render every message. */
export function evaluate(check: Record<string, unknown>, nodeFacts: NodeFacts, index = 0): Line[] {
  const parsed = checkSchema.parse(check)
  return evaluateCheck(parsed, index, nodeFacts).map((a) => ({ ...a, fr: renderAssertion(a, 'fr'), en: renderAssertion(a, 'en') }))
}

export const byId = (lines: Line[], id: string): Line => {
  const line = lines.find((l) => l.id === id)
  if (!line) throw new Error(`no assertion ${id}; have ${lines.map((l) => l.id).join(', ')}`)
  return line
}
