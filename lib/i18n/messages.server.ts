import 'server-only'
import fs from 'node:fs'
import path from 'node:path'
import type { Locale } from './config'

type Messages = Record<string, unknown>
const cache = new Map<Locale, Messages>()

// Each feature keeps its strings in messages/<locale>/<namespace>.json; the file name is the namespace.
export function loadMessages(locale: Locale): Messages {
  const cached = process.env.NODE_ENV === 'production' ? cache.get(locale) : undefined
  if (cached) return cached
  const folder = path.join(process.cwd(), 'messages', locale)
  const messages: Messages = {}
  for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
    messages[file.slice(0, -'.json'.length)] = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'))
  }
  cache.set(locale, messages)
  return messages
}
