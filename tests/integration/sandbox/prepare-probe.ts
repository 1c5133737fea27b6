// Prepares a LocalPlacement from this process's environment and prints the outcome as one
// JSON line. Tests run it where the host has been changed for real for this process only
// (a mount namespace where /sys/fs/cgroup is read-only, say): see
// tests/integration/security/host-setup.test.ts.
import { parseSandboxConfig } from '../../../lib/sandbox/config.server'
import { LocalPlacement } from '../../../lib/sandbox/local-placement.server'

const placement = new LocalPlacement(parseSandboxConfig(), () => undefined)
try {
  const status = await placement.status()
  console.log(JSON.stringify({ ok: true, status }))
} catch (error) {
  const e = error as Error & { code?: string; fix?: string }
  console.log(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message, fix: e.fix }))
}
