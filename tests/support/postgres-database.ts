import { randomUUID } from 'node:crypto'
import pg from 'pg'

// PostgreSQL tests run against the throwaway server `npm test` starts (scripts/test/postgres.sh),
// which sets QUAI_TEST_POSTGRES_URL to a role allowed to create databases. Each test file gets a
// database of its own.
export const postgresAdminUrl = process.env.QUAI_TEST_POSTGRES_URL

async function asAdmin(sql: string) {
  const client = new pg.Client({ connectionString: postgresAdminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export type TestDatabase = { url: string; drop: () => Promise<void> }

/** Creates `<prefix>_<random>` on the test server; `drop` removes it, connections and all. */
export async function createPostgresDatabase(prefix: string): Promise<TestDatabase> {
  if (!postgresAdminUrl) throw new Error('QUAI_TEST_POSTGRES_URL is not set: run the tests with `npm test`, which starts PostgreSQL for them')
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  await asAdmin(`CREATE DATABASE ${name}`)
  const url = new URL(postgresAdminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}
