// The workspace against a real Quai server process, real sign-ups, and real containers on
// the host's Docker engine. One server for all suites: Next's dev server locks its build
// folder, so the suites run one after the other from this file.
import { afterAll, beforeAll } from 'vitest'
import { filesSuite } from './files.suite'
import { portsSuite, type PortsContext } from './ports.suite'
import { seedSandbox, signUp, startNode, startServer, startWebNode, type TestNode, type TestServer } from './support'
import { terminalSuite } from './terminal.suite'

let context: PortsContext | undefined
let server: TestServer | undefined
const nodes: TestNode[] = []

beforeAll(async () => {
  server = await startServer()
  const [alice, bob, node, web] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob'), startNode(), startWebNode()])
  nodes.push(node, web)
  context = {
    server,
    alice,
    bob,
    nodeContainer: node.containerId,
    sandboxId: await seedSandbox(server, alice.userId, node),
    endedSandboxId: await seedSandbox(server, alice.userId, node, 'ended'),
    webSandboxId: await seedSandbox(server, alice.userId, web, 'running', '/var/run/docker.sock'),
    webPort: web.port,
  }
}, 240_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.remove()))
  await server?.stop()
})

const ctx = () => {
  if (!context) throw new Error('the workspace fixtures did not start')
  return context
}

terminalSuite(ctx)
filesSuite(ctx)
portsSuite(ctx)
