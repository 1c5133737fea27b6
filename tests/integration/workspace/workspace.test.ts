// The workspace against a real Quai server process (server.ts), real sign-ups, and real
// sandboxes (lib/sandbox on the host's Docker engine) opened through POST /api/sandboxes.
// One server for all suites: Next's dev server locks its build folder, so the suites run one
// after the other from this file.
import { afterAll, beforeAll, expect } from 'vitest'
import { filesSuite } from './files.suite'
import { portsSuite } from './ports.suite'
import { resourcesSuite } from './resources.suite'
import { openSandbox, signUp, startServer, stopSandbox, type Account, type TestServer } from './support'
import { terminalSuite, type WorkspaceContext } from './terminal.suite'

let context: WorkspaceContext | undefined
let server: TestServer | undefined
const opened: { account: Account; id: string }[] = []

beforeAll(async () => {
  server = await startServer()
  const [alice, bob, carol] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob'), signUp(server, 'carol')])
  const [mine, carols] = await Promise.all([openSandbox(server, alice), openSandbox(server, carol)])
  opened.push({ account: alice, id: mine.id }, { account: carol, id: carols.id })
  expect(mine.status).toBe('running')
  // Carol stops hers: an ended sandbox, still hers.
  expect(await stopSandbox(server, carol, carols.id)).toBe(200)
  context = { server, alice, bob, carol, sandboxId: mine.id, endedSandboxId: carols.id }
}, 240_000)

afterAll(async () => {
  if (server) for (const { account, id } of opened) await stopSandbox(server, account, id).catch(() => 0)
  await server?.stop()
}, 60_000)

const ctx = () => {
  if (!context) throw new Error('the workspace fixtures did not start')
  return context
}

terminalSuite(ctx)
filesSuite(ctx)
portsSuite(ctx)
resourcesSuite(ctx)
