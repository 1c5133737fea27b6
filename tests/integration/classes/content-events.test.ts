import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as RouteModule from '@/app/api/teach/content-events/route'
import { changeAffects } from '@/components/teach/content-reload'
import { fixtureContent } from '../../support/progress-suite'

// Live reload in development: the real route handler of /api/teach/content-events (Server-Sent
// Events over fs.watch) on a temporary copy of the fixture content, whose files are edited the
// way an author's editor does. The pages' side (ContentReload) refreshes when changeAffects()
// says the change is theirs, checked here on the events the route really sent.

type Route = typeof RouteModule

let dir: string
let previousContentDir: string | undefined
let route: Route

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-content-events-'))
  fs.cpSync(fixtureContent, dir, { recursive: true })
  previousContentDir = process.env.QUAI_CONTENT_DIR
  process.env.QUAI_CONTENT_DIR = dir
  route = await import('@/app/api/teach/content-events/route')
})

afterAll(() => {
  if (previousContentDir === undefined) delete process.env.QUAI_CONTENT_DIR
  else process.env.QUAI_CONTENT_DIR = previousContentDir
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Opens the stream; events are the parsed "event: change" messages, in order. */
async function openStream() {
  const abort = new AbortController()
  const response = await route.GET(new Request('http://localhost/api/teach/content-events', { signal: abort.signal }))
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let ended = false
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    ended = true
  })()
  const until = async (predicate: () => boolean, what: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the stream said: ${JSON.stringify(text)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  const events = () =>
    text
      .split('\n\n')
      .filter((block) => block.startsWith('event: change\n'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 'data: '.length)) as { files: string[] })
  return { response, text: () => text, events, until, ended: () => ended, close: async () => (abort.abort(), pump) }
}

describe('dev live reload: /api/teach/content-events', () => {
  it('sends a change event naming the lesson file an editor saved, skipping backup files, and stops on disconnect', async () => {
    const stream = await openStream()
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream')
    // The first bytes come once the watch is in place.
    await stream.until(() => stream.text().startsWith('retry: 2000\n\n'), 'the retry line')

    const lesson = path.join(dir, 'courses/demo/lecture/lesson.mdx')
    // An editor's backup, then the save itself as a temp file renamed over the lesson.
    fs.writeFileSync(`${lesson}~`, fs.readFileSync(lesson))
    fs.writeFileSync(`${lesson}.tmp`, `${fs.readFileSync(lesson, 'utf8')}\nUne phrase ajoutée.\n`)
    fs.renameSync(`${lesson}.tmp`, lesson)
    const changed = (file: string) => stream.events().find((e) => e.files.includes(file))
    await stream.until(() => changed('courses/demo/lecture/lesson.mdx') !== undefined, 'a change event naming lesson.mdx')
    const first = changed('courses/demo/lecture/lesson.mdx')!
    expect(stream.events().flatMap((e) => e.files).filter((f) => f.endsWith('~'))).toEqual([])
    // The lecture's pages refresh; another lesson's do not; the preview list does.
    expect(changeAffects(first.files, 'demo/lecture')).toBe(true)
    expect(changeAffects(first.files, 'demo/labo')).toBe(false)
    expect(changeAffects(first.files)).toBe(true)

    // A course.yaml concerns every lesson of the course.
    fs.appendFileSync(path.join(dir, 'courses/demo/course.yaml'), '\n')
    await stream.until(() => changed('courses/demo/course.yaml') !== undefined, 'a change event naming course.yaml')
    expect(changeAffects(changed('courses/demo/course.yaml')!.files, 'demo/labo')).toBe(true)

    await stream.close()
    await stream.until(() => stream.ended(), 'the end of the stream')
  })

  it('answers 404 on a production server', async () => {
    const env = process.env as Record<string, string | undefined>
    const previous = env.NODE_ENV
    env.NODE_ENV = 'production'
    try {
      const response = await route.GET(new Request('http://localhost/api/teach/content-events'))
      expect(response.status).toBe(404)
    } finally {
      env.NODE_ENV = previous
    }
  })
})
