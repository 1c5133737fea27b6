import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { migrateDatabase } from '@/lib/db/migrate'
import { createPostgresDatabase, type TestDatabase } from '../../support/postgres-database'

// quai-web's start on a stack whose PostgreSQL is not up yet, and several replicas migrating one
// empty database at once (deploy/stack.yaml), against the real test server. Fails rather than
// skips when `npm test` did not start one.
const databases: TestDatabase[] = []
const closers: (() => void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) close()
  for (const database of databases.splice(0)) await database.drop()
})

async function freshDatabase(): Promise<string> {
  const database = await createPostgresDatabase('migrate')
  databases.push(database)
  return database.url
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** From `port`, a plain TCP relay to the real server: PostgreSQL "starting" on that port. */
async function relay(port: number, to: URL): Promise<void> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(Number(to.port), to.hostname)
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  closers.push(() => server.close())
}

describe('migrateDatabase on PostgreSQL', () => {
  it('waits for a server that starts listening later, then migrates', async () => {
    const url = new URL(await freshDatabase())
    const port = await freePort()
    const late = new URL(url)
    late.port = String(port)
    setTimeout(() => void relay(port, url), 1_500)
    const started = Date.now()
    const { applied } = await migrateDatabase(late.toString(), { waitMs: 20_000 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400)
    expect(applied.length).toBeGreaterThan(3)
  })

  it('gives up after the wait with the connection error', async () => {
    const url = new URL(await freshDatabase())
    url.port = String(await freePort())
    const started = Date.now()
    await expect(migrateDatabase(url.toString(), { waitMs: 1_000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
  })

  it('two replicas migrating one empty database at once: both start, the migrations run once', async () => {
    const url = await freshDatabase()
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)])
    const counts = results.map((r) => r.applied.length).sort((a, b) => a - b)
    expect(counts[0]).toBe(0)
    expect(counts[1]).toBe(0)
    expect(counts[2]).toBeGreaterThan(3)
  })
})
