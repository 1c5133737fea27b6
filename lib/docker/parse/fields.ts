import { z } from 'zod'

// Small zod fields for Engine API answers: a field an older or newer daemon leaves out (or
// sends as null) becomes a default instead of a crash. Shared by the parsers in this folder.

export const str = z.string().nullish().transform((v) => v ?? '')
export const num = z.number().nullish().transform((v) => v ?? 0)
export const bool = z.boolean().nullish().transform((v) => v ?? false)
export const strMap = z
  .record(z.string(), z.string().nullish())
  .nullish()
  .transform((m): Record<string, string> => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v ?? ''])))
export const strList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? [])

/** "KEY=value" lines to a record (the first "=" splits). */
export function envToRecord(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf('=')
    if (i === -1) out[line] = ''
    else out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

/** CAP_NET_ADMIN, net_admin and NET_ADMIN are the same capability. */
export function normalizeCapability(cap: string): string {
  const upper = cap.trim().toUpperCase()
  return upper.startsWith('CAP_') ? upper.slice(4) : upper
}

export function parsePortKey(key: string): { port: number; protocol: string } {
  const [port, protocol] = key.split('/')
  return { port: Number(port), protocol: protocol ?? 'tcp' }
}
