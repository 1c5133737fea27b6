// Ends every sandbox of one throwaway server's namespace (QUAI_SANDBOX_NAMESPACE) and removes
// its kept disks, for benchmarks and the end-to-end suite: their databases are thrown away, so
// nothing would ever end or resume these. Never point it at a real install's namespace.
//   QUAI_SANDBOX_NAMESPACE=quai-e2e-fixtures DATABASE_URL=file:./.cache/e2e/fixtures/quai.db \
//     npx tsx --import ./scripts/node/register.mjs scripts/sandboxes/end-namespace.ts
import { pathToFileURL } from 'node:url'
import { getDb } from '../../lib/db/client.server'
import { endSandbox } from '../../lib/sandbox/sandboxes.server'
import { sandboxPlacement } from '../../lib/sandbox/state.server'

/** Every sandbox of the namespace, whatever its state, ended and removed through the current placement, and its kept disks removed. */
export async function endEveryNamespaceSandbox(): Promise<{ ended: number; removed: number; keptRemoved: number }> {
  const db = await getDb()
  const placement = sandboxPlacement()
  const rows = await db.sandbox.findMany({ where: { placement: placement.name, status: { in: ['starting', 'running', 'stopping'] } }, select: { id: true } })
  let ended = 0
  for (const r of rows) if (await endSandbox(r.id, 'stopped').then(() => true, () => false)) ended++
  let removed = 0
  for (const id of await placement.listPlaced().catch(() => [] as string[])) if (await placement.destroy(id).then(() => true, () => false)) removed++
  let keptRemoved = 0
  for (const { diskId } of await placement.listKept().catch(() => [])) if (await placement.removeKept(diskId, null).then(() => true, () => false)) keptRemoved++
  return { ended, removed, keptRemoved }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const namespace = process.env.QUAI_SANDBOX_NAMESPACE ?? ''
  if (!namespace.startsWith('quai-e2e-')) {
    console.error(`end-namespace: refusing QUAI_SANDBOX_NAMESPACE=${JSON.stringify(namespace)}: from the command line, only an end-to-end server's namespace (quai-e2e-*) is ended wholesale`)
    process.exit(2)
  }
  const result = await endEveryNamespaceSandbox()
  console.log(`end-namespace ${namespace}: ${result.ended} sandbox(es) ended, ${result.removed} left on the host removed, ${result.keptRemoved} kept disk(s) removed`)
  const left = await sandboxPlacement().listPlaced()
  if (left.length) console.error(`end-namespace ${namespace}: still on the host after ending: ${left.join(', ')}`)
  process.exit(left.length ? 1 : 0)
}
