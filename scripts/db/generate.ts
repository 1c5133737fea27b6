// Generates the Prisma clients for SQLite and PostgreSQL from prisma/schema.prisma.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { postgresSchemaFrom } from '../../lib/db/schema-variants'

const root = process.cwd()
const sqliteSchema = path.join(root, 'prisma', 'schema.prisma')
const postgresSchema = path.join(root, 'prisma', 'generated', 'postgresql.prisma')
fs.mkdirSync(path.dirname(postgresSchema), { recursive: true })
fs.writeFileSync(postgresSchema, postgresSchemaFrom(fs.readFileSync(sqliteSchema, 'utf8')))
for (const schema of [sqliteSchema, postgresSchema]) {
  execFileSync('npx', ['prisma', 'generate', '--schema', schema], { stdio: ['ignore', 'ignore', 'inherit'] })
}
console.log('prisma clients generated: lib/generated/prisma (sqlite), lib/generated/prisma-pg (postgresql)')
