import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionUser } from '@/lib/auth/session.server'
import { fixtureContent } from '../../support/progress-suite'

// A production server keeps the lesson files it loaded. An instructor's reload moves the
// content version in the database: the instance that handled it shows the edit at once, and
// another instance (a separate process, with its own memory) within seconds.

const root = path.join(import.meta.dirname, '..', '..', '..')
const instructor: SessionUser = { id: 'reload-prof', name: 'Prof', email: 'reload-prof@test.quai.invalid', role: 'instructor' }
const student: SessionUser = { ...instructor, id: 'reload-eleve', role: 'student' }

let dir: string
let lessonFile: string
const saved = { NODE_ENV: process.env.NODE_ENV, QUAI_CONTENT_DIR: process.env.QUAI_CONTENT_DIR }
let lessons: typeof import('@/lib/content/lessons.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- imported once the environment is set
let reload: typeof import('@/lib/authoring/content-reload.server') // eslint-disable-line @typescript-eslint/consistent-type-imports -- same
let other: ChildProcess | null = null
const seen: { title: string | null; at: number }[] = []

const title = () => lessons.getContentTree().courses.find((c) => c.slug === 'demo')?.lessons.find((l) => l.slug === 'labo')?.frontmatter?.title
const setEnv = (name: string, value: string | undefined) => {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-content-reload-'))
  fs.cpSync(fixtureContent, dir, { recursive: true })
  lessonFile = path.join(dir, 'courses', 'demo', 'labo', 'lesson.mdx')
  setEnv('QUAI_CONTENT_DIR', dir)
  setEnv('NODE_ENV', 'production')
  lessons = await import('@/lib/content/lessons.server')
  reload = await import('@/lib/authoring/content-reload.server')
  other = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['--import', './scripts/node/register.mjs', 'tests/support/content-instance.ts', 'demo', 'labo', '40'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', QUAI_CONTENT_DIR: dir, QUAI_CONTENT_VERSION_CHECK_MS: process.env.QUAI_TEST_OTHER_CHECK_MS ?? '300' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  })
  let buffer = ''
  other.stdout!.on('data', (b: Buffer) => {
    buffer += b.toString()
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      seen.push(JSON.parse(buffer.slice(0, i)) as { title: string | null; at: number })
      buffer = buffer.slice(i + 1)
    }
  })
  for (let i = 0; seen.length === 0; i++) {
    if (i > 300) throw new Error('the second instance did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
}, 60_000)

afterAll(() => {
  // tsx runs the script in a child of its own: end the whole group it leads.
  if (other?.pid) process.kill(-other.pid)
  setEnv('NODE_ENV', saved.NODE_ENV)
  setEnv('QUAI_CONTENT_DIR', saved.QUAI_CONTENT_DIR)
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('reloading the content of a production server', () => {
  it('keeps the loaded files until an instructor reloads; then this instance and another follow', async () => {
    expect(title()).toBe('Un TP')
    expect(seen.map((s) => s.title)).toEqual(['Un TP'])

    fs.writeFileSync(lessonFile, fs.readFileSync(lessonFile, 'utf8').replace('title: Un TP', 'title: Un TP revu'))
    await new Promise((r) => setTimeout(r, 1500))
    expect(title(), 'a production server does not walk the files').toBe('Un TP')
    expect(seen.map((s) => s.title)).toEqual(['Un TP'])

    await expect(reload.reloadContent(student)).rejects.toThrow(/only instructors/)
    const started = Date.now()
    const result = await reload.reloadContent(instructor)
    expect(result).toMatchObject({ version: expect.any(Number), lessons: 3, broken: 0 })
    expect(title()).toBe('Un TP revu')

    for (let i = 0; seen.length < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 100))
    expect(seen.map((s) => s.title)).toEqual(['Un TP', 'Un TP revu'])
    console.log(`the other instance showed the edit ${seen[1]!.at - started} ms after the reload`)
    expect(seen[1]!.at - started).toBeLessThan(5000)
  }, 60_000)
})
