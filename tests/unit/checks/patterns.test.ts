import { describe, expect, test } from 'vitest'
import type { z } from 'zod'
import { checkSchema, regex, textMatch } from '@/lib/content/check-kinds'
import { checkPatterns } from '@/lib/content/check-patterns'

// content:check analyses every author pattern that checkPatterns lists; a pattern field it
// missed would go unchecked. The schema says where patterns can be: this compares the two.

type Found = { kind: string; field: string; shape: 'one' | 'record' | 'list' }

/** Fields of each kind whose schema is a TextMatch or a pattern, directly or in a record or list. */
function patternFields(): Found[] {
  const found: Found[] = []
  const inner = (schema: z.ZodType): { schema: z.ZodType; shape: Found['shape'] } => {
    let s = schema
    let shape: Found['shape'] = 'one'
    for (;;) {
      const def = (s as unknown as { def: { type: string; innerType?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType } }).def
      if ((def.type === 'optional' || def.type === 'default') && def.innerType) s = def.innerType
      else if (def.type === 'record' && def.valueType) [s, shape] = [def.valueType, 'record']
      else if (def.type === 'array' && def.element) [s, shape] = [def.element, 'list']
      else return { schema: s, shape }
    }
  }
  for (const option of checkSchema.options) {
    const shape = (option as unknown as { shape: Record<string, z.ZodType> }).shape
    const kindDef = (option.shape.kind as unknown as { def: { values?: string[]; entries?: Record<string, string> } }).def
    const kinds = kindDef.values ?? Object.values(kindDef.entries ?? {})
    for (const [field, schema] of Object.entries(shape)) {
      const { schema: leaf, shape: container } = inner(schema)
      if (leaf === textMatch || leaf === regex) for (const kind of kinds) found.push({ kind, field, shape: container })
    }
  }
  return found
}

describe('checkPatterns', () => {
  test('the schema has patterns in exactly these fields', () => {
    expect(patternFields().map((f) => `${f.kind}.${f.field} (${f.shape})`).sort()).toEqual([
      'command.stdout (one)',
      'container.env (record)',
      'container.labels (record)',
      'file.matches (list)',
      'http.body (one)',
      'http.responseHeaders (record)',
      'image.env (record)',
      'image.labels (record)',
      'service.env (record)',
    ])
  })

  test('finds each of them, with its path, and only patterns', () => {
    const at = (check: Record<string, unknown>) => checkPatterns(checkSchema.parse(check)).map((p) => `${p.path.join('.')} /${p.pattern}/${p.flags}`)
    const m = (pattern: string) => ({ matches: pattern })
    expect(at({ kind: 'command', run: 'x', stdout: m('a') })).toEqual(['stdout.matches /a/m'])
    expect(at({ kind: 'command', run: 'x', stdout: { contains: 'a' } })).toEqual([])
    expect(at({ kind: 'container', name: 'x', env: { A: m('a'), B: 'b' }, labels: { 'traefik.enable': m('t') } })).toEqual(['env.A.matches /a/m', 'labels.traefik.enable.matches /t/m'])
    expect(at({ kind: 'image', name: 'x', env: { A: m('a') }, labels: { L: m('l') } })).toEqual(['env.A.matches /a/m', 'labels.L.matches /l/m'])
    expect(at({ kind: 'service', name: 'x', env: { A: m('a') } })).toEqual(['env.A.matches /a/m'])
    expect(at({ kind: 'http', url: 'http://x/', body: m('b'), responseHeaders: { server: m('s') } })).toEqual(['responseHeaders.server.matches /s/m', 'body.matches /b/m'])
    expect(at({ kind: 'file', path: 'f', matches: ['a', 'b'] })).toEqual(['matches.0 /a/m', 'matches.1 /b/m'])
  })
})
