// Lesson page server time, measured against a running production server.
//   npx tsx scripts/bench/pages.ts [baseUrl]   (default: starts one on a throwaway database)
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { loadContentTree } from '../../lib/content/load.server'
import { contentRoot } from '../../lib/content/root.server'

export type PagesBench = { lesson_page_ms_p50: number; lesson_page_ms_p95: number; lesson_page_anonymous_ms_p50: number }

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10
}

async function waitFor(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`server at ${url} did not answer within ${timeoutMs / 1000} s`)
}

export async function startBenchServer(port: number): Promise<{ url: string; stop: () => void }> {
  if (!fs.existsSync('.next/BUILD_ID')) throw new Error('no production build: run `npm run build` first')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-bench-'))
  const child: ChildProcess = spawn('npx', ['tsx', '--import', './scripts/node/register.mjs', 'server.ts'], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), DATABASE_URL: `file:${dir}/quai.db`, QUAI_AUTH_RATE_LIMIT: 'off', QUAI_URL: `http://localhost:${port}` },
    stdio: 'ignore',
    detached: true,
  })
  const url = `http://localhost:${port}`
  await waitFor(url, 60_000)
  return {
    url,
    stop: () => {
      if (child.pid) process.kill(-child.pid, 'SIGTERM')
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function timePage(url: string, headers: Record<string, string>, runs: number): Promise<number[]> {
  for (let i = 0; i < 10; i++) await (await fetch(url, { headers })).text()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    const response = await fetch(url, { headers })
    await response.text()
    times.push(performance.now() - start)
    if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  }
  return times
}

export async function benchPages(baseUrl?: string, runs = 200): Promise<PagesBench> {
  const server = baseUrl ? null : await startBenchServer(3390)
  const url = baseUrl ?? server!.url
  try {
    const course = loadContentTree(contentRoot()).courses.find((c) => c.lessons.some((l) => l.problems.length === 0))
    const lesson = course?.lessons.find((l) => l.problems.length === 0)
    if (!course || !lesson) throw new Error('no valid lesson in content/ to measure')
    const page = `${url}/courses/${course.slug}/${lesson.slug}`

    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ email: `bench-${randomUUID()}@quai.test`, password: 'bench-password', name: 'Bench' }),
    })
    const cookie = signUp.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    if (!signUp.ok || !cookie) throw new Error(`could not sign up for the benchmark: ${signUp.status}`)

    const signedIn = await timePage(page, { cookie }, runs)
    const anonymous = await timePage(page, {}, runs)
    const result = {
      lesson_page_ms_p50: percentile(signedIn, 50),
      lesson_page_ms_p95: percentile(signedIn, 95),
      lesson_page_anonymous_ms_p50: percentile(anonymous, 50),
    }
    console.log(`lesson page ${course.slug}/${lesson.slug}, ${runs} sequential requests after warm-up:`)
    console.log(`  signed in: p50 ${result.lesson_page_ms_p50} ms, p95 ${result.lesson_page_ms_p95} ms; anonymous: p50 ${result.lesson_page_anonymous_ms_p50} ms`)
    return result
  } finally {
    server?.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchPages(process.argv[2])))
}
