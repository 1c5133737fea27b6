import path from 'node:path'
import { envNow } from '../env.server'

export type DatabaseKind = 'sqlite' | 'postgresql'

/** DATABASE_URL, validated, read at each call: tests and benchmarks point it elsewhere while running. */
export function resolveDatabaseUrl(): string {
  return envNow('DATABASE_URL')
}

export function databaseKind(url: string): DatabaseKind {
  if (url.startsWith('file:')) return 'sqlite'
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgresql'
  throw new Error(
    `DATABASE_URL must start with "file:" (embedded SQLite) or "postgresql://" (PostgreSQL), got "${url.split(':')[0]}:…"`,
  )
}

/** The absolute path of a SQLite database file, relative paths taken from the project root. */
export function sqliteFileFromUrl(url: string, root: string = process.cwd()): string {
  const file = url.replace(/^file:/, '').replace(/\?.*$/, '')
  return path.isAbsolute(file) ? file : path.join(/*turbopackIgnore: true*/ root, file)
}
