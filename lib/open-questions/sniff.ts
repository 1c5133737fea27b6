import type { OpenFileKind } from '../content/open-questions'

// What an uploaded file is, from its first bytes: the browser's Content-Type and the file's name
// are the sender's claims. Only kinds that cannot run in a browser are recognised: PNG, JPEG, GIF
// and WebP images (not SVG, which carries scripts), PDF, and UTF-8 text (HTML included, which is
// then stored and served as text/plain, always as an attachment). Pure, browser-safe.

export type Sniffed = { kind: OpenFileKind; contentType: string; extension: string }

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) => signature.every((b, i) => bytes[offset + i] === b)
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

/** Control characters other than tab, line feed, form feed and carriage return: a binary file, or a name that hides something. */
const isControl = (code: number) => (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0x7f

function isText(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return false
  }
  return !bytes.some(isControl)
}

export function sniffFile(bytes: Uint8Array): Sniffed | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', contentType: 'image/png', extension: 'png' }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'image', contentType: 'image/jpeg', extension: 'jpg' }
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return { kind: 'image', contentType: 'image/gif', extension: 'gif' }
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { kind: 'image', contentType: 'image/webp', extension: 'webp' }
  if (startsWith(bytes, ascii('%PDF-'))) return { kind: 'pdf', contentType: 'application/pdf', extension: 'pdf' }
  if (bytes.length > 0 && isText(bytes)) return { kind: 'text', contentType: 'text/plain; charset=utf-8', extension: 'txt' }
  return null
}

const textExtensions = new Set(['txt', 'md', 'markdown', 'yaml', 'yml', 'json', 'toml', 'ini', 'conf', 'cfg', 'log', 'csv', 'sh', 'py', 'js', 'ts', 'sql', 'dockerfile', 'env'])
const sameKind: Record<string, string[]> = { jpg: ['jpg', 'jpeg'], png: ['png'], gif: ['gif'], webp: ['webp'], pdf: ['pdf'] }

/**
 * The name the file is stored and downloaded under: no folders, no control characters, at most
 * 120 characters, and an extension that matches what the bytes are ("page.html" that is text
 * becomes "page.html.txt", so that opening the download never runs it as a page).
 */
export function safeFileName(name: string, sniffed: Sniffed): string {
  const base = [...(name.split(/[\\/]/).pop() ?? '')].filter((c) => c !== '"' && c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join('').trim().slice(-120) || 'fichier'
  const extension = /\.([A-Za-z0-9]{1,12})$/.exec(base)?.[1]?.toLowerCase() ?? ''
  const fits = sniffed.kind === 'text' ? textExtensions.has(extension) || (extension === '' && /^dockerfile$/i.test(base)) : (sameKind[sniffed.extension] ?? []).includes(extension)
  return fits ? base : `${base}.${sniffed.extension}`
}

/** The accept="…" of the file input: a hint for the browser's picker, the server decides. */
export function acceptAttribute(kinds: readonly OpenFileKind[]): string {
  const parts: string[] = []
  if (kinds.includes('image')) parts.push('image/png', 'image/jpeg', 'image/gif', 'image/webp')
  if (kinds.includes('pdf')) parts.push('application/pdf', '.pdf')
  if (kinds.includes('text')) parts.push('text/plain', ...[...textExtensions].map((e) => `.${e}`))
  return parts.join(',')
}
