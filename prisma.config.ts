import os from 'node:os'
import path from 'node:path'
import { defineConfig } from 'prisma/config'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'

// The Prisma CLI is used only for `generate` and `migrate diff` (migrations are applied by
// lib/db/migrate.ts). Its JavaScript engine with a driver adapter keeps it from downloading
// a native engine; neither command touches this scratch database's contents.
export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: path.join('prisma', 'schema.prisma'),
  async adapter() {
    return new PrismaBetterSQLite3({ url: path.join(os.tmpdir(), 'quai-prisma-cli.db') })
  },
})
