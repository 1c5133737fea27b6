import { execFileSync } from 'node:child_process'
import { sandboxPlacement } from '../lib/sandbox/state.server'
import { enterBenchNamespace } from './bench/sandbox'
enterBenchNamespace('quai-dbg', { maxConcurrent: 10, createsPerHour: 1000 })
const p = sandboxPlacement()
await p.prepare()
const s = await p.create({ sandboxId: 'dbgsbx000001', userId: 'u', pooled: false, nodes: [{ name: 'node1', role: 'standalone' }], limits: { memoryMb: 1536, cpus: 1, pids: 1024, diskMb: 4096 } })
const running = p.exec(s.nodes[0]!, ['bash', '-c', 'sleep 20'], { timeoutMs: 30000 })
await new Promise((r) => setTimeout(r, 1500))
const t0 = Date.now()
execFileSync('docker', ['rm', '-f', s.nodes[0]!.containerId])
console.log('rm took', Date.now() - t0)
console.log(await running)
await p.destroy(s.sandboxId)
process.exit(0)
