import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

const root = path.resolve(import.meta.dirname, '../../..')

// The servers under test keep their sandboxes when they stop, as Quai does, but their databases
// are thrown away at the next start: without this, each run left its sandboxes up (each with a
// full-size disk claim) for every later step and run on the machine. Runs before Playwright
// stops the servers; the broken-content server has no sandboxes.
export default async function globalTeardown() {
  for (const server of ['fixtures', 'curriculum']) {
    const database = path.join(root, '.cache/e2e', server, 'quai.db')
    if (!fs.existsSync(database)) continue
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['node_modules/.bin/tsx', '--import', './scripts/node/register.mjs', 'scripts/sandboxes/end-namespace.ts'],
      { cwd: root, env: { ...process.env, QUAI_SANDBOX_NAMESPACE: `quai-e2e-${server}`, DATABASE_URL: `file:${database}` }, timeout: 180_000 },
    )
    process.stdout.write(stdout)
  }
}
