// The lesson compile cache (lib/content/compile.server.ts): one compilation per file and
// mtime, served from memory after that; a newer mtime (an author saved the file) recompiles.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type * as MdxBundler from 'mdx-bundler'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'

// Counts the real compilations: the real bundleMDX, wrapped in a spy.
const bundle = vi.hoisted(() => ({ calls: 0 }))
vi.mock('mdx-bundler', async (importOriginal) => {
  const actual = await importOriginal<typeof MdxBundler>()
  return {
    ...actual,
    bundleMDX: (...args: Parameters<typeof actual.bundleMDX>) => {
      bundle.calls++
      return actual.bundleMDX(...args)
    },
  }
})

const { compileLesson } = await import('@/lib/content/compile.server')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-compile-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const lesson = (body: string) => `---\ntitle: Cache\nsummary: Une leçon pour tester le cache.\nduration: 5\nobjectives: [Tester]\n---\n\n${body}\n`

/** Writes a lesson file with the given mtime (seconds since the epoch) and returns its source. */
function write(file: string, body: string, mtime: number) {
  const source = lesson(body)
  fs.writeFileSync(file, source)
  fs.utimesSync(file, mtime, mtime)
  return source
}

beforeEach(() => {
  bundle.calls = 0
})

describe('lesson compile cache', () => {
  it('compiles a file once per mtime and serves later calls from the cache', async () => {
    const file = path.join(dir, 'once.mdx')
    const source = write(file, '## Premier titre\n\nPremier texte.', 1_700_000_000)
    const first = await compileLesson(file, source)
    expect(bundle.calls).toBe(1)
    expect(first.code).toContain('Premier texte.')
    const second = await compileLesson(file, source)
    expect(second).toBe(first)
    expect(bundle.calls).toBe(1)
  })

  it('shares one compilation between concurrent first requests', async () => {
    const file = path.join(dir, 'concurrent.mdx')
    const source = write(file, 'Texte partagé.', 1_700_000_000)
    const [a, b, c] = await Promise.all([compileLesson(file, source), compileLesson(file, source), compileLesson(file, source)])
    expect(bundle.calls).toBe(1)
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  it('recompiles when the file has a newer mtime, and returns the new content', async () => {
    const file = path.join(dir, 'edited.mdx')
    const before = await compileLesson(file, write(file, '## Ancien titre\n\nAncien texte.', 1_700_000_000))
    expect(bundle.calls).toBe(1)
    const after = await compileLesson(file, write(file, '## Nouveau titre\n\nNouveau texte.', 1_700_000_060))
    expect(bundle.calls).toBe(2)
    expect(after.mtimeMs).toBeGreaterThan(before.mtimeMs)
    expect(after.code).toContain('Nouveau texte.')
    expect(after.code).not.toContain('Ancien texte.')
    expect(after.toc).toEqual([{ id: 'nouveau-titre', text: 'Nouveau titre', depth: 2 }])
    // And the new version is the one cached from then on.
    expect(await compileLesson(file, lesson('## Nouveau titre\n\nNouveau texte.'))).toBe(after)
    expect(bundle.calls).toBe(2)
  })

  it('does not keep a failed compilation: the fixed file compiles, even with the same mtime', async () => {
    // Some filesystems keep whole seconds: a quick fix can keep the broken version's mtime.
    const file = path.join(dir, 'fixed.mdx')
    await expect(compileLesson(file, write(file, '<Inconnu />', 1_700_000_000))).rejects.toThrow(/unknown component <Inconnu>/)
    const fixed = await compileLesson(file, write(file, 'Texte corrige.', 1_700_000_000))
    expect(fixed.code).toContain('Texte corrige.')
    expect(bundle.calls).toBe(2)
  })
})
