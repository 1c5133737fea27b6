// Writes the next migration for both databases from the change between the schema as last
// migrated (prisma/migrations/<kind>/schema.snapshot.prisma) and prisma/schema.prisma.
//   npm run db:migration:new -- add-something
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { postgresSchemaFrom } from '../../lib/db/schema-variants'
import { migrationsFolder } from '../../lib/db/migrate'
import type { DatabaseKind } from '../../lib/db/url'

const name = process.argv[2]
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run db:migration:new -- <name-in-kebab-case>')
  process.exit(2)
}
const root = process.cwd()
const current = fs.readFileSync(path.join(root, 'prisma', 'schema.prisma'), 'utf8')
const variants: Record<DatabaseKind, string> = { sqlite: current, postgresql: postgresSchemaFrom(current) }
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-migration-'))

for (const kind of ['sqlite', 'postgresql'] as const) {
  const folder = migrationsFolder(kind, root)
  fs.mkdirSync(folder, { recursive: true })
  const snapshot = path.join(folder, 'schema.snapshot.prisma')
  const target = path.join(tmp, `${kind}.prisma`)
  fs.writeFileSync(target, variants[kind])
  const from = fs.existsSync(snapshot) ? ['--from-schema-datamodel', snapshot] : ['--from-empty']
  const sql = execFileSync('npx', ['prisma', 'migrate', 'diff', ...from, '--to-schema-datamodel', target, '--script'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (!/^\s*(CREATE|ALTER|DROP|INSERT|UPDATE|PRAGMA|DELETE)/m.test(sql)) {
    console.log(`${kind}: no change`)
    continue
  }
  const versions = fs.readdirSync(folder).map((f) => Number.parseInt(f, 10)).filter(Number.isFinite)
  const version = String(Math.max(0, ...versions) + 1).padStart(4, '0')
  const file = path.join(folder, `${version}.do.${name}.sql`)
  fs.writeFileSync(file, sql)
  fs.copyFileSync(target, snapshot)
  console.log(`${kind}: wrote ${path.relative(root, file)}`)
}
