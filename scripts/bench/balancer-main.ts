// The round-robin balancer (scripts/balancer.ts) as a process of its own, so that a benchmark's
// load generator does not share its event loop and CPU count with it (nginx would not either).
//   tsx scripts/bench/balancer-main.ts <port A> <port B> ...   prints "balancer on port N"
import { startBalancer } from '../balancer'

const ports = process.argv.slice(2).map(Number)
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0)) throw new Error('usage: balancer-main.ts <port> [<port>...]')
const balancer = await startBalancer(
  ports.map((port, i) => ({ name: String.fromCharCode(65 + i), port })),
  { record: false },
)
console.log(`balancer on port ${balancer.port}`)
const stop = () => void balancer.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
