// prisma/schema.prisma is written for SQLite; the PostgreSQL schema is derived from it
// so that the two can never drift apart.
export function postgresSchemaFrom(sqliteSchema: string): string {
  const replaced = sqliteSchema
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace(/url\s+=\s+"file:[^"]*"/, 'url      = "postgresql://placeholder/quai"')
    .replace('output          = "../lib/generated/prisma"', 'output          = "../../lib/generated/prisma-pg"')
  if (replaced === sqliteSchema || !replaced.includes('../../lib/generated/prisma-pg') || !replaced.includes('postgresql://')) {
    throw new Error('prisma/schema.prisma no longer has the provider, url or output lines that the PostgreSQL variant rewrites')
  }
  return replaced
}
