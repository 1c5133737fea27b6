// npm run bench: every benchmark of Quai, one after the other (2 cores: never in parallel).
//   npm run bench [-- --only dashboard,sandbox]   (--only: those files of scripts/bench; the
//                                                   other parts' keys are null)
// Prints what each part measured, then, as its last line, ONE JSON object with every figure.
// A part that cannot run (its file is missing, no production build, no Docker...) gives null
// figures and a line saying why; the others still run. Benchmarks print, they never assert.
// Every part works on a throwaway migrated database (db.ts), never data/quai.db or the
// DATABASE_URL of the shell: this run points DATABASE_URL at one of its own before any part
// starts, and the parts that use a database open their own on top of it.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { openThrowawayDatabase } from './db'

type Part = { name: string; file: string; fn: string; keys: string[]; args?: unknown[] }

const parts: Part[] = [
  { name: 'lesson page', file: 'pages.ts', fn: 'benchPages', keys: ['lesson_page_ms_p50'] },
  { name: 'sandboxes', file: 'sandbox.ts', fn: 'benchSandbox', keys: ['sandbox_ready_ms_p50', 'sandbox_ready_ms_p95', 'pool_ready_ms_p50', 'idle_sandbox_mb'] },
  {
    name: 'kept work',
    file: 'persistence.ts',
    fn: 'benchPersistence',
    keys: ['cold_start_ms_p50', 'resume_ms_p50', 'snapshot_ms_p50', 'restore_step_ms_p50', 'kept_disk_mb_p50', 'keep_ms_p50'],
  },
  { name: 'exercise checks', file: 'checks.ts', fn: 'benchChecks', keys: ['check_ms_p50', 'check_ms_p95', 'check_declarative_ms_p50', 'check_declarative_ms_p95'] },
  { name: 'regular expressions', file: 'regex.ts', fn: 'benchRegex', keys: ['regex_from_line_ms', 'regex_author_2mib_ms', 'regex_throughput_mb_s', 'regex_v8_from_line_ms'] },
  {
    name: 'terminal',
    file: 'terminal.ts',
    fn: 'benchTerminal',
    keys: [
      'echo_ms_p50',
      'echo_ms_p99',
      'agent_hop_echo_ms_p50',
      'throughput_mb_s',
      'wetty_echo_ms_p50',
      'wetty_throughput_mb_s',
      'browser_echo_ms_p50',
      'browser_throughput_mb_s',
      'browser_wetty_echo_ms_p50',
      'browser_wetty_throughput_mb_s',
      'browser_unparsed_throughput_mb_s',
      'browser_xterm_alone_mb_s',
      'browser_websocket_alone_mb_s',
      'browser_throughput_ratio',
      'browser_times_wetty',
      'interrupt_ms_p50',
    ],
  },
  {
    name: 'fair CPU',
    file: 'neighbour.ts',
    fn: 'benchNeighbour',
    keys: ['neighbour_slowdown', 'neighbour_echo_idle_ms_p50', 'neighbour_echo_loaded_ms_p50', 'neighbour_page_idle_ms_p50', 'neighbour_page_loaded_ms_p50'],
  },
  { name: 'idle sandboxes', file: 'capacity.ts', fn: 'benchCapacity', keys: ['idle_sandboxes_max', 'idle_sandboxes_page_ms_p95'] },
  { name: 'class burst', file: 'class-burst.ts', fn: 'benchClassBurst', keys: ['class_burst_ready_ms_p95', 'class_burst_pooled_ready_ms_p95'] },
  {
    name: 'class dashboard',
    file: 'dashboard.ts',
    fn: 'benchDashboard',
    keys: ['dashboard_server_ms_p50', 'dashboard_server_ms_p95', 'dashboard_server_first_look_ms_p50', 'dashboard_page_ms_p50'],
    args: [{ requireServer: true }],
  },
  {
    name: 'load',
    file: 'load.ts',
    fn: 'benchLoad',
    keys: ['load_learners', 'load_p95_ms', 'load_check_p95_ms', 'load_errors', 'load_page_p95_ms', 'load_heartbeat_p95_ms', 'load_quiz_p95_ms', 'load_requests', 'load_stress_p95_ms', 'load_stress_check_p95_ms', 'load_stress_errors', 'load_stress_requests'],
  },
]

const args = process.argv.slice(2)
const only = args.includes('--only') ? new Set((args[args.indexOf('--only') + 1] ?? '').split(',').map((name) => name.trim().replace(/\.ts$/, ''))) : null
const unknown = only ? [...only].filter((name) => !parts.some((part) => part.file === `${name}.ts`)) : []
if (unknown.length > 0) throw new Error(`--only: no part ${unknown.join(', ')} (parts: ${parts.map((part) => part.file.replace(/\.ts$/, '')).join(', ')})`)

// Servers started by the benchmarks use throwaway databases: they must not reconcile, which
// would remove the sandboxes of any other Quai using this Docker engine.
process.env.QUAI_SANDBOX_RUNTIME ??= 'off'
const runDatabase = await openThrowawayDatabase('run')

const here = import.meta.dirname
const merged: Record<string, number | null> = {}
const notes: string[] = []

for (const part of parts) {
  for (const key of part.keys) merged[key] = null
  if (only && !only.has(part.file.replace(/\.ts$/, ''))) {
    notes.push(`${part.name}: not run (--only)`)
    continue
  }
  const file = path.join(here, part.file)
  console.log(`\n━━━ ${part.name} (scripts/bench/${part.file})`)
  if (!fs.existsSync(file)) {
    const why = `${part.name}: scripts/bench/${part.file} does not exist yet, so ${part.keys.join(', ')} ${part.keys.length > 1 ? 'are' : 'is'} null`
    notes.push(why)
    console.log(why)
    continue
  }
  const started = Date.now()
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    const fn = mod[part.fn]
    if (typeof fn !== 'function') throw new Error(`it does not export ${part.fn}()`)
    const result = (await (fn as (...a: unknown[]) => Promise<Record<string, unknown>>)(...(part.args ?? []))) ?? {}
    for (const key of part.keys) {
      const value = result[key]
      if (typeof value === 'number' && Number.isFinite(value)) merged[key] = value
      else notes.push(`${part.name}: ${key} missing from its result`)
    }
    console.log(`${part.name}: done in ${Math.round((Date.now() - started) / 1000)} s`)
  } catch (error) {
    const why = `${part.name}: could not run (${(error as Error).message.split('\n')[0]}), so ${part.keys.join(', ')} ${part.keys.length > 1 ? 'are' : 'is'} null`
    notes.push(why)
    console.log(why)
  }
}

console.log('\n━━━ summary')
for (const [key, value] of Object.entries(merged)) console.log(`${key.padEnd(32)} ${value === null ? 'null' : value}`)
for (const note of notes) console.log(`note: ${note}`)
await runDatabase.release()
console.log(JSON.stringify(merged))
process.exit(0)
