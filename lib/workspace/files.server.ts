import 'server-only'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { ApiError } from '../errors'
import {
  ArchivePathMissingError,
  listArchive,
  putEntries,
  readFileFromArchive,
  statPath,
  statPaths,
  streamFileFromArchive,
  streamFolderArchive,
  type FilesTarget,
  type NewEntry,
  type PathKind,
  type PathStat,
} from '../docker/archive.server'

// The file panel's rules. Every path the browser sends is relative to the lesson's folder in
// the node (lessons.server.ts lessonFolder: /root/lab/<lesson>, or /root/lab/<course>); it is refused when it is absolute, has a ".." segment, or
// reaches through a symlink (at any depth) that resolves outside that folder. Every read and
// write runs as the learner's root inside their own namespaces (lib/docker/archive.server.ts),
// so a learner who races a link between our check and the write reaches only their own files.

export const fileLimits = {
  /** Largest file the editor opens or saves. */
  editorBytes: 1024 * 1024,
  /** Largest single upload. */
  uploadBytes: 10 * 1024 * 1024,
  /** Largest download. */
  downloadBytes: 100 * 1024 * 1024,
  listEntries: 2000,
  /** A listing streams the folder's tar; past this it stops and says so. */
  listBytes: 64 * 1024 * 1024,
  pathChars: 1024,
  depth: 32,
} as const

/** The browser words each refusal in the reader's language from its code (FilesPanel); the message is for API clients and logs. */
export type FileErrorCode =
  | 'path_invalid'
  | 'path_outside'
  | 'not_found'
  | 'not_a_file'
  | 'not_a_folder'
  | 'too_large'
  | 'binary'
  | 'conflict'
  | 'folder_missing'
  | 'folder_replaced'

export class FileRefusal extends ApiError {
  declare readonly code: FileErrorCode
  constructor(status: number, code: FileErrorCode, message: string) {
    super(status, code, message)
  }
}

/** Segments of a relative path; refuses absolute paths, "..", control characters. */
export function relativeSegments(input: string): string[] {
  if (input.length > fileLimits.pathChars) throw new FileRefusal(400, 'path_invalid', 'the path is too long')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(input)) throw new FileRefusal(400, 'path_invalid', 'the path contains control characters or backslashes')
  if (input.startsWith('/') || input.startsWith('~')) {
    throw new FileRefusal(400, 'path_outside', 'absolute paths are refused: give a path relative to the lesson folder')
  }
  const segments = input.split('/').filter((s) => s !== '' && s !== '.')
  if (segments.some((s) => s === '..')) throw new FileRefusal(400, 'path_outside', '".." is refused: the path must stay inside the lesson folder')
  if (segments.some((s) => s.length > 255)) throw new FileRefusal(400, 'path_invalid', 'a file name is longer than 255 characters')
  if (segments.length > fileLimits.depth) throw new FileRefusal(400, 'path_invalid', 'the path is too deep')
  return segments
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.posix.relative(root, path.posix.normalize(candidate))
  return rel === '' || (!rel.startsWith('..') && !path.posix.isAbsolute(rel))
}

type Resolved = {
  absolute: string
  stat: PathStat | null
  relative: string
  /** Where a write lands: the deepest folder that exists, and the names below it to create (the file last). */
  parent: { dir: string; create: string[] } | { notAFolder: string }
}

async function requireRoot(node: FilesTarget, root: string): Promise<void> {
  requireRootStat(await statPath(node, root))
}

function requireRootStat(stat: PathStat | null | undefined): void {
  if (!stat) throw new FileRefusal(404, 'folder_missing', 'the lesson folder does not exist in the sandbox (reset the sandbox, or open the lesson again)')
  if (stat.kind !== 'dir') throw new FileRefusal(409, 'folder_replaced', 'the lesson folder has been replaced by a link or a file; reset the sandbox')
}

/** Walks the path one component at a time, following only links that stay inside root. */
export async function resolveInside(node: FilesTarget, root: string, input: string): Promise<Resolved> {
  const segments = relativeSegments(input)
  const relative = segments.join('/')
  // One command stats the root and every prefix; a link inside restarts the walk from its target.
  const prefixes = (base: string, rest: string[]) => rest.map((_, i) => path.posix.join(base, ...rest.slice(0, i + 1)))
  const [rootStat, ...firstStats] = await statPaths(node, [root, ...prefixes(root, segments)])
  requireRootStat(rootStat)
  let stats = firstStats
  let offset = 0
  let current = root
  let currentKind: PathKind = 'dir'
  let stat: PathStat | null = null
  const missingFrom = (dir: string, kind: PathKind, names: string[], upTo: number): Resolved => ({
    absolute: path.posix.join(dir, ...names),
    stat: null,
    relative,
    parent: kind === 'dir' ? { dir, create: names } : { notAFolder: segments.slice(0, upTo).join('/') },
  })
  for (let i = 0; i < segments.length; i++) {
    stat = stats[i - offset] ?? null
    // The rest does not exist yet (a new file, maybe in new folders): nothing more to follow.
    if (!stat) return missingFrom(current, currentKind, segments.slice(i), i)
    if (stat.kind === 'symlink') {
      const target = stat.linkTarget
      if (!target || !isInside(root, target)) {
        throw new FileRefusal(403, 'path_outside', `"${segments.slice(0, i + 1).join('/')}" is a link to a place outside the lesson folder`)
      }
      const rest = segments.slice(i + 1)
      const [targetStat, ...restStats] = await statPaths(node, [target, ...prefixes(target, rest)])
      stat = targetStat ?? null
      stats = restStats
      offset = i + 1
      // A link to nothing yet: writing through it creates its target.
      if (!stat) return missingFrom(path.posix.dirname(target), 'dir', [path.posix.basename(target), ...rest], i + 1)
      current = target
    } else {
      current = path.posix.join(current, segments[i] ?? '')
    }
    currentKind = stat.kind
  }
  return { absolute: current, stat, relative, parent: { dir: path.posix.dirname(current), create: [path.posix.basename(current)] } }
}

export type FileEntry = { path: string; kind: PathKind; size: number; mtime: string; link?: { target: string; inside: boolean } }

/** Everything under the lesson folder (bounded), folders before files, sorted by path. */
export async function listFiles(node: FilesTarget, root: string): Promise<{ entries: FileEntry[]; truncated: boolean }> {
  await requireRoot(node, root)
  const { entries, truncated } = await listArchive(node, root, { maxEntries: fileLimits.listEntries, maxBytes: fileLimits.listBytes })
  const base = path.posix.basename(root)
  const out: FileEntry[] = []
  for (const entry of entries) {
    // The tar names everything under the folder's own name: "lesson/compose.yaml".
    const rel = entry.path === base ? '' : entry.path.startsWith(`${base}/`) ? entry.path.slice(base.length + 1) : entry.path
    if (rel === '') continue
    const file: FileEntry = { path: rel, kind: entry.kind, size: entry.size, mtime: entry.mtime }
    if (entry.kind === 'symlink' && entry.linkName !== undefined) {
      const target = path.posix.resolve(path.posix.dirname(path.posix.join(root, rel)), entry.linkName)
      file.link = { target: entry.linkName, inside: isInside(root, target) }
    }
    out.push(file)
  }
  out.sort((a, b) => a.path.localeCompare(b.path))
  return { entries: out, truncated }
}

export function looksBinary(body: Buffer): boolean {
  if (body.subarray(0, 8192).includes(0)) return true
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body)
    return false
  } catch {
    return true
  }
}

function requireFile(resolved: Resolved): PathStat {
  if (!resolved.stat) throw new FileRefusal(404, 'not_found', `"${resolved.relative}" does not exist`)
  if (resolved.stat.kind !== 'file') throw new FileRefusal(400, 'not_a_file', `"${resolved.relative}" is not a regular file`)
  return resolved.stat
}

export type TextFile = { path: string; content: string; size: number; mtime: string }

export async function readTextFile(node: FilesTarget, root: string, input: string): Promise<TextFile> {
  const resolved = await resolveInside(node, root, input)
  const stat = requireFile(resolved)
  if (stat.size > fileLimits.editorBytes) {
    throw new FileRefusal(413, 'too_large', `"${resolved.relative}" is larger than 1 MiB: download it instead of opening it in the editor`)
  }
  let body: Buffer
  try {
    body = await readFileFromArchive(node, resolved.absolute, fileLimits.editorBytes)
  } catch (error) {
    if (error instanceof RangeError) throw new FileRefusal(413, 'too_large', `"${resolved.relative}" is larger than 1 MiB`)
    if (error instanceof ArchivePathMissingError) throw new FileRefusal(404, 'not_found', `"${resolved.relative}" does not exist`)
    throw error
  }
  if (looksBinary(body)) throw new FileRefusal(415, 'binary', `"${resolved.relative}" is a binary file: download it instead`)
  return { path: resolved.relative, content: body.toString('utf8'), size: body.length, mtime: stat.mtime }
}

/** New folders first, then the file, written at the deepest folder that exists; the file's stat after. */
async function writeBody(node: FilesTarget, root: string, resolved: Resolved, body: Buffer, mode: number | undefined): Promise<PathStat | null> {
  if ('notAFolder' in resolved.parent) throw new FileRefusal(400, 'not_a_folder', `"${resolved.parent.notAFolder}" is not a folder`)
  const { dir, create } = resolved.parent
  if (!isInside(root, dir) || create.length === 0) throw new FileRefusal(403, 'path_outside', 'the path leaves the lesson folder')
  const entries: NewEntry[] = create.slice(0, -1).map((_, i) => ({ name: create.slice(0, i + 1).join('/'), kind: 'dir' as const }))
  entries.push({ name: create.join('/'), kind: 'file', body, mode })
  return putEntries(node, dir, entries)
}

export async function writeTextFile(
  node: FilesTarget,
  root: string,
  input: string,
  content: string,
  baseMtime?: string,
): Promise<{ path: string; size: number; mtime: string }> {
  const body = Buffer.from(content, 'utf8')
  if (body.length > fileLimits.editorBytes) throw new FileRefusal(413, 'too_large', 'the editor saves files up to 1 MiB')
  const resolved = await resolveInside(node, root, input)
  if (resolved.stat && resolved.stat.kind !== 'file') throw new FileRefusal(400, 'not_a_file', `"${resolved.relative}" is not a regular file`)
  if (baseMtime && resolved.stat && resolved.stat.mtime !== baseMtime) {
    throw new FileRefusal(409, 'conflict', `"${resolved.relative}" changed in the sandbox since it was opened`)
  }
  const after = await writeBody(node, root, resolved, body, resolved.stat?.mode)
  return { path: resolved.relative, size: body.length, mtime: after?.mtime ?? new Date().toISOString() }
}

export function checkUploadName(name: string): string {
  const segments = relativeSegments(name)
  if (segments.length !== 1) throw new FileRefusal(400, 'path_invalid', 'an uploaded file name cannot contain "/"')
  return segments[0] ?? ''
}

export async function uploadFile(node: FilesTarget, root: string, dir: string, name: string, body: Buffer): Promise<{ path: string; size: number }> {
  if (body.length > fileLimits.uploadBytes) throw new FileRefusal(413, 'too_large', 'uploads are limited to 10 MiB')
  const fileName = checkUploadName(name)
  const relative = [...relativeSegments(dir), fileName].join('/')
  const resolved = await resolveInside(node, root, relative)
  if (resolved.stat && resolved.stat.kind !== 'file') throw new FileRefusal(400, 'not_a_file', `"${resolved.relative}" exists and is not a regular file`)
  await writeBody(node, root, resolved, body, resolved.stat?.mode)
  return { path: resolved.relative, size: body.length }
}

/**
 * A file's body for a download, exactly the size its stat gave (within the 100 MiB limit): the
 * bytes are counted as they stream, so a file that grows meanwhile (or a special file that passes
 * for a small regular one) is cut there with an error instead of being sent, or buffered, whole.
 */
export async function openDownload(node: FilesTarget, root: string, input: string): Promise<{ name: string; size: number; stream: Readable }> {
  const resolved = await resolveInside(node, root, input)
  const stat = requireFile(resolved)
  if (stat.size > fileLimits.downloadBytes) throw new FileRefusal(413, 'too_large', 'downloads are limited to 100 MiB')
  return { name: path.posix.basename(resolved.absolute), size: stat.size, stream: await streamFileFromArchive(node, resolved.absolute, stat.size) }
}

/** The whole lesson folder as a .tar.gz (the learner's copy of their work), within the download limit. */
export async function openFolderArchive(node: FilesTarget, root: string, lessonSlug: string): Promise<{ name: string; stream: Readable }> {
  return { name: `${lessonSlug}.tar.gz`, stream: await streamFolderArchive(node, root, fileLimits.downloadBytes) }
}
