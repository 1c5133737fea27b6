// A one-time link that makes its holder an instructor (the first instructor of an installation,
// or another one), valid 24 h:   npm run setup:token [-- --write <file>]
// --write also stores the bare token in <file> (mode 600), for scripts that set Quai up.
import fs from 'node:fs'
import path from 'node:path'
import { hasInstructor, mintSetupToken } from '../lib/auth/setup-token.server'
import { getDb } from '../lib/db/client.server'
import { migrateDatabase } from '../lib/db/migrate'
import { resolveDatabaseUrl } from '../lib/db/url'

const args = process.argv.slice(2)
const writeAt = args.indexOf('--write')
const file = writeAt >= 0 ? args[writeAt + 1] : undefined
if ((writeAt >= 0 && !file) || args.some((arg, i) => arg !== '--write' && i !== writeAt + 1)) {
  console.error('usage: npm run setup:token [-- --write <file>]')
  process.exit(2)
}

// A fresh installation may not have run the server yet: its tables come first.
await migrateDatabase(resolveDatabaseUrl())
const { token, url, expiresAt } = await mintSetupToken()
if (file) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  fs.writeFileSync(file, token, { mode: 0o600 })
}
const already = await hasInstructor()
console.log(`${already ? 'Another instructor' : 'No instructor yet'}: open ${url} to create ${already ? 'an' : 'the first'} instructor account (or promote the account you sign in with); valid until ${expiresAt.toISOString()}, once.`)
await (await getDb()).$disconnect()
