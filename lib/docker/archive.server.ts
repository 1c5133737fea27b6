import 'server-only'
import type { ContainerRef } from './exec-stream.server'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { z } from 'zod'

// Files in a container through the Engine's archive API (stat, get, put), so the file panel
// works the same whether the node runs on this host or on a remote placement. Paths here are
// absolute paths inside the container; lib/workspace/files.server.ts decides which are allowed.

export type { ContainerRef } from './exec-stream.server'

export type PathKind = 'file' | 'dir' | 'symlink' | 'other'

export type PathStat = {
  name: string
  size: number
  kind: PathKind
  /** Permission bits (0o644...). */
  mode: number
  mtime: string
  /** For a symlink: the path it resolves to, fully evaluated inside the container. */
  linkTarget: string
}

export type ArchiveEntry = { path: string; kind: PathKind; size: number; mode: number; mtime: string; linkName?: string }

export class ArchivePathMissingError extends Error {
  override readonly name = 'ArchivePathMissingError'
}

// Go's os.FileMode bits as the Engine reports them (above 2^31, so no 32-bit bitwise operators).
const goBit = (mode: number, bit: number) => Math.floor(mode / 2 ** bit) % 2 === 1
const goDir = 31
const goSymlink = 27
/** Device, named pipe, socket, char device, irregular. */
const goSpecial = [26, 25, 24, 21, 19]

const statSchema = z.object({
  name: z.string(),
  size: z.number(),
  mode: z.number(),
  mtime: z.string(),
  linkTarget: z.string().nullish().transform((v) => v ?? ''),
})

function kindOfGoMode(mode: number): PathKind {
  if (goBit(mode, goDir)) return 'dir'
  if (goBit(mode, goSymlink)) return 'symlink'
  return goSpecial.some((bit) => goBit(mode, bit)) ? 'other' : 'file'
}

const statusOf = (error: unknown) => (error as { statusCode?: number })?.statusCode

/** Stat of one path (the last component is not followed); null when it does not exist. */
export async function statPath(ref: ContainerRef, path: string): Promise<PathStat | null> {
  let answer: unknown
  try {
    answer = await ref.docker.getContainer(ref.containerId).infoArchive({ path })
  } catch (error) {
    if (statusOf(error) === 404) {
      // 404 means "no such path" or "no such container"; tell them apart.
      await ref.docker.getContainer(ref.containerId).inspect()
      return null
    }
    throw error
  }
  const headers = (answer as { headers?: Record<string, string> })?.headers ?? (answer as Record<string, string>)
  const raw = headers?.['x-docker-container-path-stat']
  if (typeof raw !== 'string') throw new Error('the Docker daemon sent no path stat')
  const stat = statSchema.parse(JSON.parse(Buffer.from(raw, 'base64').toString('utf8')))
  return { name: stat.name, size: stat.size, kind: kindOfGoMode(stat.mode), mode: stat.mode % 0o1000, mtime: stat.mtime, linkTarget: stat.linkTarget }
}

function kindOfTarType(type: string | null | undefined): PathKind {
  if (type === 'file' || type === 'contiguous-file') return 'file'
  if (type === 'directory') return 'dir'
  if (type === 'symlink') return 'symlink'
  return 'other'
}

/** The tar stream of a path (a folder comes with everything under it). */
async function getArchiveStream(ref: ContainerRef, path: string): Promise<Readable> {
  try {
    return (await ref.docker.getContainer(ref.containerId).getArchive({ path })) as unknown as Readable
  } catch (error) {
    if (statusOf(error) === 404) throw new ArchivePathMissingError(path)
    throw error
  }
}

/**
 * Headers of everything under a folder, without keeping any file body; stops (and drops the
 * connection) after maxEntries entries or maxBytes streamed, and says it was truncated.
 */
export async function listArchive(
  ref: ContainerRef,
  dir: string,
  limits: { maxEntries: number; maxBytes: number },
): Promise<{ entries: ArchiveEntry[]; truncated: boolean }> {
  const source = await getArchiveStream(ref, dir)
  const extract = tar.extract()
  const entries: ArchiveEntry[] = []
  let streamed = 0
  let truncated = false
  source.on('data', (chunk: Buffer) => {
    streamed += chunk.length
    if (streamed > limits.maxBytes && !truncated) {
      truncated = true
      source.destroy()
      extract.destroy()
    }
  })
  extract.on('entry', (header, stream, next) => {
    entries.push({
      path: header.name.replace(/\/$/, ''),
      kind: kindOfTarType(header.type),
      size: header.size ?? 0,
      mode: (header.mode ?? 0) & 0o777,
      mtime: (header.mtime ?? new Date(0)).toISOString(),
      ...(header.type === 'symlink' && header.linkname ? { linkName: header.linkname } : {}),
    })
    if (entries.length >= limits.maxEntries) {
      truncated = true
      source.destroy()
      extract.destroy()
      return
    }
    stream.on('end', next)
    stream.resume()
  })
  try {
    await pipeline(source, extract)
  } catch (error) {
    if (!truncated) throw error
  }
  return { entries, truncated }
}

/** The body of one regular file, refused past maxBytes. */
export async function readFileFromArchive(ref: ContainerRef, path: string, maxBytes: number): Promise<Buffer> {
  const source = await getArchiveStream(ref, path)
  const extract = tar.extract()
  let body: Buffer | null = null
  let tooBig = false
  extract.on('entry', (header, stream, next) => {
    if (body !== null || header.type !== 'file') {
      stream.on('end', next)
      stream.resume()
      return
    }
    if ((header.size ?? 0) > maxBytes) {
      tooBig = true
      source.destroy()
      extract.destroy()
      return
    }
    const chunks: Buffer[] = []
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer))
    stream.on('end', () => {
      body = Buffer.concat(chunks)
      next()
    })
  })
  try {
    await pipeline(source, extract)
  } catch (error) {
    if (!tooBig) throw error
  }
  if (tooBig) throw new RangeError(`larger than ${maxBytes} bytes`)
  if (body === null) throw new ArchivePathMissingError(path)
  return body
}

/** A readable of one regular file's body, for downloads (the tar wrapper is removed on the fly). */
export async function streamFileFromArchive(ref: ContainerRef, path: string): Promise<Readable> {
  const source = await getArchiveStream(ref, path)
  const extract = tar.extract()
  const out = new PassThrough()
  let found = false
  extract.on('entry', (header, stream, next) => {
    if (found || header.type !== 'file') {
      stream.on('end', next)
      stream.resume()
      return
    }
    found = true
    // tar-stream's entries are streamx streams: relay by hand, with backpressure.
    stream.on('data', (chunk: unknown) => {
      if (!out.write(chunk as Buffer)) {
        stream.pause()
        out.once('drain', () => stream.resume())
      }
    })
    stream.on('end', () => {
      out.end()
      next()
    })
  })
  extract.on('finish', () => {
    if (!found) out.destroy(new ArchivePathMissingError(path))
  })
  pipeline(source, extract).catch((error: unknown) => out.destroy(error as Error))
  return out
}

export type NewEntry = { name: string; kind: 'file'; body: Buffer; mode?: number } | { name: string; kind: 'dir'; mode?: number }

/** Writes entries (relative names, folders first) under an existing folder of the container. */
export async function putEntries(ref: ContainerRef, dir: string, entries: NewEntry[]): Promise<void> {
  const pack = tar.pack()
  const mtime = new Date()
  for (const entry of entries) {
    if (entry.kind === 'dir') pack.entry({ name: entry.name, type: 'directory', mode: entry.mode ?? 0o755, mtime })
    else pack.entry({ name: entry.name, type: 'file', mode: entry.mode ?? 0o644, mtime, size: entry.body.length }, entry.body)
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  try {
    await ref.docker.getContainer(ref.containerId).putArchive(Buffer.concat(chunks), { path: dir, noOverwriteDirNonDir: 'true' })
  } catch (error) {
    if (statusOf(error) === 404) throw new ArchivePathMissingError(dir)
    throw error
  }
}
