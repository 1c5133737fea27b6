import { migrateDatabase } from '../../lib/db/migrate'
import { resolveDatabaseUrl } from '../../lib/db/url'

let url = ''
try {
  url = resolveDatabaseUrl()
  const { kind, applied } = await migrateDatabase(url)
  console.log(`database (${kind}): ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`)
} catch (error) {
  console.error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`)
  if (url.startsWith('postgres')) console.error('Is PostgreSQL running and does DATABASE_URL name an existing database the user may write to?')
  process.exit(1)
}
