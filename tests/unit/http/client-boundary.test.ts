import fs from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'

// Client modules parse the shared wire schemas (lib/*/api.ts); they never import a .server
// file, not even for a type.

const root = path.resolve(import.meta.dirname, '../../..')

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(rel)
    return /\.(ts|tsx)$/.test(entry.name) ? [rel] : []
  })
}

const clientModules = ['app', 'components', 'lib'].flatMap(sources).filter((file) => /^['"]use client['"]/m.test(fs.readFileSync(path.join(root, file), 'utf8')))

test('client modules import no .server file', () => {
  expect(clientModules.length).toBeGreaterThan(10)
  const offenders = clientModules.filter((file) => /from ['"][^'"]*\.server['"]/.test(fs.readFileSync(path.join(root, file), 'utf8')))
  expect(offenders).toEqual([])
})
