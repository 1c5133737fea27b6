import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The floors of Quai's code, bottom first (docs/architecture.md explains each). A file may
// import its own folder and the folders of lower floors; never a folder on its own floor (peers
// stay independent) nor one above. Folders, not files: a new file in a folder is free, a new
// folder must be given a floor here. Type-only imports count: they are arrows too.
const floors: string[][] = [
  ['lib/text', 'lib/browser', 'lib/env.server.ts', 'lib/errors.ts', 'messages'],
  ['lib/db', 'lib/i18n'],
  ['lib/content', 'lib/docker', 'lib/metrics'],
  ['lib/auth', 'lib/sandbox'],
  ['lib/accounts', 'lib/http', 'lib/agent'],
  ['lib/progress'],
  ['lib/quiz', 'lib/checks'],
  ['lib/classes', 'lib/workspace'],
  ['lib/terminal', 'lib/authoring', 'lib/exams'],
  ['lib/server', 'lib/open-questions'],
  ['components'],
  ['app', 'server.ts', 'agent.ts'],
]

/** Generated code belongs to the folder that generates it. */
const generatedBy: Record<string, string> = { 'lib/generated': 'lib/db' }

const root = path.resolve(import.meta.dirname, '../../..')
const stripExtension = (p: string) => p.replace(/\.(ts|tsx)$/, '')
const units = [...floors.flat(), ...Object.keys(generatedBy)].map((name) => ({ name, base: stripExtension(name) }))

/** The folder (or top-level file) a repository path belongs to, or null outside every floor. */
function unitOf(relative: string): string | null {
  const p = stripExtension(relative.split(path.sep).join('/'))
  const unit = units.filter((u) => p === u.base || p.startsWith(`${u.base}/`)).sort((a, b) => b.base.length - a.base.length)[0]
  if (!unit) return null
  return generatedBy[unit.name] ?? unit.name
}

const floorOf = new Map(floors.flatMap((names, floor) => names.map((name) => [name, floor] as const)))

function sourceFiles(): string[] {
  const files: string[] = [path.join(root, 'server.ts'), path.join(root, 'agent.ts')]
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (full !== path.join(root, 'lib/generated')) walk(full)
      } else if (/\.tsx?$/.test(entry.name)) files.push(full)
    }
  }
  for (const top of ['lib', 'app', 'components']) walk(path.join(root, top))
  return files
}

/** Every module a file names: static, type-only, re-exported and dynamic imports. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true)
  return info.importedFiles.map((f) => f.fileName)
}

function resolve(from: string, specifier: string): string | null {
  if (specifier.startsWith('@/')) return specifier.slice(2)
  if (specifier.startsWith('.')) return path.relative(root, path.resolve(path.dirname(from), specifier))
  return null
}

type Edge = { from: string; to: string; file: string; specifier: string }

function edges(): { edges: Edge[]; unplaced: string[] } {
  const found: Edge[] = []
  const unplaced = new Set<string>()
  for (const file of sourceFiles()) {
    const relative = path.relative(root, file)
    const from = unitOf(relative)
    if (!from) {
      unplaced.add(relative)
      continue
    }
    for (const specifier of importsOf(file)) {
      const target = resolve(file, specifier)
      if (target === null) continue
      const to = unitOf(target)
      if (!to) {
        if (/^(lib|app|components)\//.test(target)) unplaced.add(target)
        continue
      }
      if (to !== from) found.push({ from, to, file: relative, specifier })
    }
  }
  return { edges: found, unplaced: [...unplaced].sort() }
}

/** Arrows that do not point to a lower floor, as "file: import (from floor N to floor M)". */
function upwardArrows(all: Edge[], floor: (unit: string) => number): string[] {
  return all
    .filter((e) => floor(e.to) >= floor(e.from))
    .map((e) => `${e.file} imports ${e.specifier}: ${e.from} (floor ${floor(e.from)}) -> ${e.to} (floor ${floor(e.to)})`)
}

/** One cycle between folders, as a path that ends where it starts, or null. */
function folderCycle(all: Edge[]): string[] | null {
  const next = new Map<string, Set<string>>()
  for (const e of all) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to))
  const done = new Set<string>()
  const stack: string[] = []
  const visit = (unit: string): string[] | null => {
    const at = stack.indexOf(unit)
    if (at !== -1) return [...stack.slice(at), unit]
    if (done.has(unit)) return null
    stack.push(unit)
    for (const to of next.get(unit) ?? []) {
      const cycle = visit(to)
      if (cycle) return cycle
    }
    stack.pop()
    done.add(unit)
    return null
  }
  for (const unit of next.keys()) {
    const cycle = visit(unit)
    if (cycle) return cycle
  }
  return null
}

describe('the floors of the code', () => {
  const graph = edges()

  it('gives every folder of lib/, app/ and components/ a floor', () => {
    expect(graph.unplaced).toEqual([])
  })

  it('has no import from a folder to a folder on its own floor or above', () => {
    expect(upwardArrows(graph.edges, (unit) => floorOf.get(unit)!)).toEqual([])
  })

  it('has no import cycle between folders', () => {
    expect(folderCycle(graph.edges)).toBeNull()
  })

  it('catches an arrow up and a cycle (the checks themselves)', () => {
    const sample: Edge[] = [
      { from: 'lib/checks', to: 'lib/content', file: 'lib/checks/a.ts', specifier: '../content/schema' },
      { from: 'lib/content', to: 'lib/checks', file: 'lib/content/b.ts', specifier: '../checks/kinds' },
    ]
    expect(upwardArrows(sample, (unit) => floorOf.get(unit)!)).toEqual(['lib/content/b.ts imports ../checks/kinds: lib/content (floor 2) -> lib/checks (floor 6)'])
    expect(folderCycle(sample)).toEqual(['lib/checks', 'lib/content', 'lib/checks'])
    expect(unitOf('lib/generated/prisma/client.ts')).toBe('lib/db')
    expect(unitOf('lib/env.server.ts')).toBe('lib/env.server.ts')
    expect(unitOf('lib/env.server')).toBe('lib/env.server.ts')
  })
})
