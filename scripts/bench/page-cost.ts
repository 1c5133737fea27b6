// Server CPU and bytes per page, measured against a production server on a throwaway database.
//   npx tsx --import ./scripts/node/register.mjs scripts/bench/page-cost.ts [runs] [--save DIR]
// (--save: also writes each page's HTML to DIR, to look at what its flight data carries;
//  QUAI_BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops)
// Starts server.ts itself (needs `npx next build` first) so it can read the server's own CPU
// time from /proc/<pid>/stat (utime + stime) before and after `runs` sequential GETs of each
// page, after 20 warm-up requests. CPU time rather than latency: on a busy 2-core machine the
// wall clock measures the neighbours, the server's own CPU time much less so. Prints, never asserts.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openThrowawayDatabase } from './db'
import { freePort } from './ports'
import { startProcess, waitForOutput } from './quai-server'

const root = path.resolve(import.meta.dirname, '../..')
const args = process.argv.slice(2)
const saveDir = args.includes('--save') ? args[args.indexOf('--save') + 1] : undefined
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--save') ?? 100)
const ticksPerSecond = 100 // USER_HZ on Linux

function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), from the closing parenthesis on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

/** Bytes of the RSC flight data inlined in the HTML (the `self.__next_f.push` scripts). */
function flightBytes(html: string): number {
  let total = 0
  for (const m of html.matchAll(/<script>self\.__next_f\.push\(([\s\S]*?)\)<\/script>/g)) total += Buffer.byteLength(m[1]!)
  return total
}

export type PageCost = { page: string; cpu_ms_per_request: number; html_bytes: number; flight_bytes: number; status: number }

async function measure(url: string, headers: Record<string, string>, pid: number): Promise<PageCost> {
  let body = ''
  let status = 0
  for (let i = 0; i < 20; i++) {
    const r = await fetch(url, { headers })
    status = r.status
    body = await r.text()
  }
  if (saveDir) {
    fs.mkdirSync(saveDir, { recursive: true })
    fs.writeFileSync(path.join(saveDir, `${new URL(url).pathname.replace(/\W+/g, '_')}.html`), body)
  }
  const before = cpuMs(pid)
  for (let i = 0; i < runs; i++) await (await fetch(url, { headers })).text()
  const after = cpuMs(pid)
  return {
    page: new URL(url).pathname,
    cpu_ms_per_request: Math.round(((after - before) / runs) * 10) / 10,
    html_bytes: Buffer.byteLength(body),
    flight_bytes: flightBytes(body),
    status,
  }
}

if (!fs.existsSync(path.join(root, '.next/BUILD_ID'))) throw new Error('no production build: run `npx next build` first')
const db = await openThrowawayDatabase('page-cost')
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const profile = process.env.QUAI_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.QUAI_BENCH_CPU_PROF}`] : []
const server = startProcess(process.execPath, [...profile, '--import', 'tsx', '--import', './scripts/node/register.mjs', 'server.ts'], {
  NODE_ENV: 'production',
  PORT: String(port),
  HOST: '127.0.0.1',
  QUAI_URL: url,
  DATABASE_URL: db.url,
  QUAI_SANDBOX_RUNTIME: 'off',
  QUAI_AUTH_RATE_LIMIT: 'off',
  BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET ?? randomUUID() + randomUUID(),
})
try {
  await waitForOutput(server, 'Quai is ready on', 90_000, 'the Quai server')
  const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: `cost-${randomUUID()}@quai.test`, password: 'bench-password', name: 'Bench' }),
  })
  const cookie = signUp.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  if (!signUp.ok || !cookie) throw new Error(`could not sign up: ${signUp.status}`)
  const lesson = '/courses/reseaux-docker/sous-reseaux-et-dns'
  const pages = [lesson, '/courses', '/progress', '/api/health']
  const results: PageCost[] = []
  for (const page of pages) results.push(await measure(`${url}${page}`, { cookie }, server.child.pid!))
  // What the signed-in lesson page's cost is made of: the same page signed out (no session, no
  // learner's data), its RSC payload alone (a client navigation: no HTML rendering), and the
  // smallest page (what any page costs).
  results.push({ ...(await measure(`${url}${lesson}`, {}, server.child.pid!)), page: `${lesson} (signed out)` })
  results.push({ ...(await measure(`${url}${lesson}`, { cookie, rsc: '1' }, server.child.pid!)), page: `${lesson} (RSC payload only)` })
  results.push({ ...(await measure(`${url}/sign-in`, {}, server.child.pid!)), page: '/sign-in (signed out)' })
  console.log(`${runs} sequential GETs per page after 20 warm-up, signed in unless said (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}):`)
  for (const r of results) console.log(`  ${r.page}: ${r.cpu_ms_per_request} ms CPU/request, ${(r.html_bytes / 1024).toFixed(1)} KiB (flight ${(r.flight_bytes / 1024).toFixed(1)} KiB), ${r.status}`)
  console.log(JSON.stringify(results))
} finally {
  await server.stop()
  await db.release()
}
