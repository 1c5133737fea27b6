import 'server-only'
import type { Duplex } from 'node:stream'
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream'
import tar from 'tar-stream'
import { apiOf } from './client.server'
import { execInContainer } from './exec.server'
import { demuxExecOutput, type ContainerRef } from './exec-stream.server'

// Files in a sandbox node, read and written by commands that run in the learner's own world
// (through the placement's exec wrapper, as the learner's root), never through the Engine's
// archive API. The archive API acts in the node container's outer filesystem, where it
// follows symlinks the learner can swap between two requests: a save could then land on the
// outer side, which holds privileges over the host. Run inside, the worst a race reaches is
// the learner's own files. What runs inside is the learner's: its output is bounded, parsed
// defensively and given a deadline. lib/workspace/files.server.ts decides which paths are allowed.

export type { ContainerRef } from './exec-stream.server'

/** A node's container and the argv that puts a command in the learner's world. */
export type FilesTarget = ContainerRef & { command: (cmd: string[]) => string[] }

export type PathKind = 'file' | 'dir' | 'symlink' | 'other'

export type PathStat = {
  name: string
  size: number
  kind: PathKind
  /** Permission bits (0o644...). */
  mode: number
  mtime: string
  /** For a symlink: the path it resolves to, fully evaluated inside the node ('' when unknown). */
  linkTarget: string
}

export type ArchiveEntry = { path: string; kind: PathKind; size: number; mode: number; mtime: string; linkName?: string }

export class ArchivePathMissingError extends Error {
  override readonly name = 'ArchivePathMissingError'
}

export class NodeFilesError extends Error {
  override readonly name = 'NodeFilesError'
}

/** A file that did not hold still while it was read: it gave more (or fewer) bytes than its size said. */
export class FileSizeChangedError extends NodeFilesError {
  constructor(
    readonly path: string,
    readonly announced: number,
    readonly direction: 'grew' | 'shrank',
  ) {
    super(
      direction === 'grew'
        ? `${path} grew while it was being downloaded: it was cut at the ${announced} bytes announced (download it again once it stops changing)`
        : `${path} shrank while it was being downloaded: fewer than the ${announced} bytes announced`,
    )
  }
}

const deadlines = { statMs: 15_000, listMs: 30_000, readMs: 30_000, streamMs: 15 * 60_000, writeMs: 60_000 }

// Strings travel hex-encoded, so no file name (newlines, tabs, invalid UTF-8) can break a line.
// One line per path: kind, size, mode, mtime (seconds), hex(link target), hex(name).
const perlStat = String.raw`
use strict; use Cwd qw(realpath); use File::Basename qw(dirname basename);
use Time::HiRes qw(lstat);
sub hx { unpack('H*', defined $_[0] ? $_[0] : '') }
sub kind { my $m = shift; return 'symlink' if ($m & 0170000) == 0120000; return 'dir' if ($m & 0170000) == 0040000;
  return 'file' if ($m & 0170000) == 0100000; return 'other' }
sub target { my $p = shift; my $r = realpath($p); return $r if defined $r;
  my $l = readlink($p); return '' unless defined $l; $l = dirname($p) . '/' . $l unless $l =~ m{^/};
  my $d = realpath(dirname($l)); return defined $d ? ($d eq '/' ? '' : $d) . '/' . basename($l) : '' }
for my $p (@ARGV) {
  my @s = lstat($p);
  if (!@s) { print "missing\n"; next }
  my $k = kind($s[2]);
  printf("%s\t%d\t%o\t%.6f\t%s\t%s\n", $k, $s[7], $s[2] & 07777, $s[9], hx($k eq 'symlink' ? target($p) : ''), hx(basename($p)));
}
`

// Everything under a folder (not following links), at most $max entries, paths relative to
// the folder's parent ("lesson/compose.yaml"), like a tar of the folder would name them.
const perlList = String.raw`
use strict; use Time::HiRes qw(lstat);
my ($root, $max) = @ARGV; my $base = (split m{/}, $root)[-1]; my $n = 0; my @queue = ([$root, $base]);
sub hx { unpack('H*', $_[0]) }
sub kind { my $m = shift; return 'symlink' if ($m & 0170000) == 0120000; return 'dir' if ($m & 0170000) == 0040000;
  return 'file' if ($m & 0170000) == 0100000; return 'other' }
while (my $item = shift @queue) {
  my ($dir, $rel) = @$item;
  opendir(my $dh, $dir) or next;
  for my $name (sort grep { $_ ne '.' && $_ ne '..' } readdir($dh)) {
    my $path = "$dir/$name"; my @s = lstat($path); next unless @s;
    if (++$n > $max) { print "truncated\n"; exit 0 }
    my $k = kind($s[2]); my $link = $k eq 'symlink' ? (readlink($path) // '') : '';
    printf("%s\t%d\t%o\t%.6f\t%s\t%s\n", $k, $s[7], $s[2] & 07777, $s[9], hx($link), hx("$rel/$name"));
    push @queue, [$path, "$rel/$name"] if $k eq 'dir';
  }
  closedir($dh);
}
`

type RunOptions = { stdin?: Buffer; deadlineMs: number; maxStdoutBytes?: number }
type StreamOptions = { deadlineMs: number; maxStdoutBytes?: number }

type Running = {
  stdout: Readable
  finished: Promise<{ exitCode: number | null; stderr: string }>
  /** More than maxStdoutBytes arrived: stdout ended at the cap and the exec was cut. */
  overflowed: () => boolean
}

/** A file read past its limit (readFileFromArchive): the bytes beyond were never kept. */
export class OutputTooLargeError extends RangeError {
  override readonly name = 'OutputTooLargeError'
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`)
  }
}

/**
 * Starts a command in the learner's world. Its stdout streams with backpressure (file bodies, as
 * bytes): while nobody reads, the exec's connection is paused and the command blocks, so a slow
 * or stalled reader costs no memory. Past maxStdoutBytes (counted on the bytes that arrive, not
 * on any size announced beforehand) stdout ends at the cap, the exec is cut and `overflowed()`
 * says so. stderr is kept, bounded.
 */
async function start(target: FilesTarget, cmd: string[], options: StreamOptions): Promise<Running> {
  const container = apiOf(target.docker).getContainer(target.containerId)
  const exec = await container.exec({
    Cmd: target.command(cmd),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  })
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Duplex
  const stdout = new PassThrough({ highWaterMark: 64 * 1024 })
  let stderrText = ''
  let streamed = 0
  let overflowed = false
  demuxExecOutput(stream, {
    stdout,
    onStderr: (c) => {
      if (stderrText.length < 4096) stderrText += c.toString('utf8')
    },
    onStdout: (c) => {
      const max = options.maxStdoutBytes
      if (max === undefined || streamed + c.length <= max) {
        streamed += c.length
        return true
      }
      if (!overflowed) {
        overflowed = true
        if (max > streamed && !stdout.writableEnded) stdout.write(c.subarray(0, max - streamed))
        streamed = max
        if (!stdout.writableEnded) stdout.end()
        stream.destroy()
      }
      return false
    },
  })
  const timer = setTimeout(() => {
    stream.destroy()
    stdout.destroy(new NodeFilesError(`the sandbox did not answer within ${Math.round(options.deadlineMs / 1000)} s`))
  }, options.deadlineMs)
  const ended = new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      if (!stdout.destroyed && !stdout.writableEnded) stdout.end()
      resolve()
    }
    stream.once('end', done)
    stream.once('close', done)
    stream.once('error', done)
  })
  const finished = ended.then(async () => {
    for (let i = 0; i < 40; i++) {
      const info = await exec.inspect().catch(() => null)
      if (!info) break
      if (!info.Running) return { exitCode: info.ExitCode ?? null, stderr: stderrText }
      await new Promise((r) => setTimeout(r, 25))
    }
    return { exitCode: null, stderr: stderrText }
  })
  // Nobody may be waiting for the exit (a download that the browser dropped).
  finished.catch(() => undefined)
  return { stdout, finished, overflowed: () => overflowed }
}

/** A short command whose whole answer is wanted (stat, list, write): the engine's buffered exec. */
async function run(target: FilesTarget, cmd: string[], options: RunOptions): Promise<{ stdout: string; exitCode: number | null; stderr: string; truncated: boolean }> {
  const result = await execInContainer(target.docker, target.containerId, target.command(cmd), {
    stdin: options.stdin,
    timeoutMs: options.deadlineMs,
    maxOutputBytes: options.maxStdoutBytes,
  })
  if (result.timedOut) throw new NodeFilesError(`the sandbox did not answer within ${Math.round(options.deadlineMs / 1000)} s`)
  return result
}

const fromHex = (hex: string) => Buffer.from(/^[0-9a-f]*$/.test(hex) && hex.length % 2 === 0 ? hex : '', 'hex').toString('utf8')
const kinds = new Set<PathKind>(['file', 'dir', 'symlink', 'other'])

function parseLine(line: string): { kind: PathKind; size: number; mode: number; mtime: string; link: string; name: string } | null {
  const [kind, size, mode, mtime, link, name] = line.split('\t')
  if (!kind || !kinds.has(kind as PathKind) || name === undefined) return null
  const seconds = Number(mtime)
  const sizeValue = Number(size)
  const modeValue = Number.parseInt(mode ?? '', 8)
  if (!Number.isFinite(seconds) || !Number.isFinite(sizeValue) || !Number.isFinite(modeValue)) return null
  return {
    kind: kind as PathKind,
    size: Math.max(0, sizeValue),
    mode: modeValue % 0o1000,
    mtime: new Date(Math.round(seconds * 1000)).toISOString(),
    link: fromHex(link ?? ''),
    name: fromHex(name),
  }
}

function failure(what: string, result: { exitCode: number | null; stderr: string }): NodeFilesError {
  const detail = result.stderr.trim().split('\n').slice(-1)[0] ?? ''
  return new NodeFilesError(`${what} failed in the sandbox (exit ${result.exitCode ?? 'unknown'})${detail ? `: ${detail}` : ''}`)
}

/** Stats of several paths in one command (the last component is not followed); null when missing. */
export async function statPaths(target: FilesTarget, paths: string[]): Promise<(PathStat | null)[]> {
  if (paths.length === 0) return []
  const result = await run(target, ['perl', '-e', perlStat, '--', ...paths], { deadlineMs: deadlines.statMs, maxStdoutBytes: 1024 * 1024 })
  if (result.exitCode !== 0) throw failure('reading file information', result)
  const lines = result.stdout.split('\n').slice(0, paths.length)
  if (lines.length < paths.length) throw new NodeFilesError('the sandbox gave an incomplete answer about its files')
  return lines.map(statOfLine)
}

function statOfLine(line: string): PathStat | null {
  if (line === 'missing') return null
  const parsed = parseLine(line)
  if (!parsed) throw new NodeFilesError('the sandbox gave an unreadable answer about its files')
  return { name: parsed.name, size: parsed.size, kind: parsed.kind, mode: parsed.mode, mtime: parsed.mtime, linkTarget: parsed.link }
}

/** Stat of one path (the last component is not followed); null when it does not exist. */
export async function statPath(target: FilesTarget, path: string): Promise<PathStat | null> {
  return (await statPaths(target, [path]))[0] ?? null
}

/** Everything under a folder, without following links; stops after maxEntries and says so. */
export async function listArchive(target: FilesTarget, dir: string, limits: { maxEntries: number; maxBytes: number }): Promise<{ entries: ArchiveEntry[]; truncated: boolean }> {
  const result = await run(target, ['perl', '-e', perlList, '--', dir, String(limits.maxEntries)], {
    deadlineMs: deadlines.listMs,
    maxStdoutBytes: limits.maxBytes,
  })
  if (result.exitCode !== 0) throw failure('listing the folder', result)
  const lines = result.stdout.split('\n').filter((l) => l !== '')
  const truncated = lines.at(-1) === 'truncated' || result.truncated
  const entries: ArchiveEntry[] = []
  for (const line of lines) {
    const parsed = parseLine(line)
    if (!parsed) continue
    entries.push({
      path: parsed.name,
      kind: parsed.kind,
      size: parsed.size,
      mode: parsed.mode,
      mtime: parsed.mtime,
      ...(parsed.kind === 'symlink' ? { linkName: parsed.link } : {}),
    })
    if (entries.length >= limits.maxEntries) break
  }
  return { entries, truncated }
}

// `cat` of one regular file; `test -f` first, so a path swapped for a FIFO or a folder fails
// at once instead of blocking (the deadline covers what is left of that race).
const catFile = (path: string) => ['sh', '-c', 'test -f "$1" && exec cat -- "$1"', 'quai-read', path]

/** The body of one regular file, refused past maxBytes. */
export async function readFileFromArchive(target: FilesTarget, path: string, maxBytes: number): Promise<Buffer> {
  const running = await start(target, catFile(path), { deadlineMs: deadlines.readMs, maxStdoutBytes: maxBytes })
  const chunks: Buffer[] = []
  for await (const chunk of running.stdout) chunks.push(chunk as Buffer)
  if (running.overflowed()) throw new OutputTooLargeError(maxBytes)
  const result = await running.finished
  if (result.exitCode === 1 && result.stderr === '') throw new ArchivePathMissingError(path)
  if (result.exitCode !== 0) throw failure('reading the file', result)
  return Buffer.concat(chunks)
}

/**
 * One regular file's body for a download: `size` bytes (its stat's size, itself within the
 * download limit), with backpressure from the reader all the way to `cat`. The bytes are counted
 * as they arrive: a file that grows after its stat (or a special file that passes for a small
 * regular one) fails with FileSizeChangedError once `size` bytes have gone, and one that shrinks
 * fails at its end. A stream that fails makes the response fail (the connection is cut before
 * the end of the chunked body), so the browser reports the download as failed.
 */
export async function streamFileFromArchive(target: FilesTarget, path: string, size: number): Promise<Readable> {
  const running = await start(target, catFile(path), { deadlineMs: deadlines.streamMs, maxStdoutBytes: size })
  let seen = 0
  const out = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length
      callback(null, chunk)
    },
    flush(callback: TransformCallback) {
      if (running.overflowed()) return callback(new FileSizeChangedError(path, size, 'grew'))
      running.finished.then(
        (result) => {
          if (result.exitCode === 1 && result.stderr === '') return callback(new ArchivePathMissingError(path))
          if (result.exitCode !== 0) return callback(failure('reading the file', result))
          if (seen < size) return callback(new FileSizeChangedError(path, size, 'shrank'))
          callback()
        },
        (error: unknown) => callback(error as Error),
      )
    },
  })
  running.stdout.once('error', (error) => out.destroy(error))
  running.stdout.pipe(out)
  // The browser went away: stop reading, which hangs up the exec (demuxExecOutput).
  out.once('close', () => running.stdout.destroy())
  return out
}

/**
 * A folder as a gzipped tar, made in the node (as the learner), cut with an error past
 * `maxBytes` (the download then fails rather than ends short).
 */
export async function streamFolderArchive(target: FilesTarget, dir: string, maxBytes: number): Promise<Readable> {
  const running = await start(target, ['tar', '-cz', '-C', dir, '.'], { deadlineMs: deadlines.streamMs, maxStdoutBytes: maxBytes })
  const out = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      callback(null, chunk)
    },
    flush(callback: TransformCallback) {
      if (running.overflowed()) return callback(new NodeFilesError(`the folder is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB once packed`))
      running.finished.then(
        (result) => (result.exitCode === 0 ? callback() : callback(failure('packing the folder', result))),
        (error: unknown) => callback(error as Error),
      )
    },
  })
  running.stdout.once('error', (error) => out.destroy(error))
  running.stdout.pipe(out)
  out.once('close', () => running.stdout.destroy())
  return out
}

export type NewEntry = { name: string; kind: 'file'; body: Buffer; mode?: number } | { name: string; kind: 'dir'; mode?: number }

/** Writes entries (relative names, folders first) under an existing folder of the node; returns the stat of the last entry after the write. */
export async function putEntries(target: FilesTarget, dir: string, entries: NewEntry[]): Promise<PathStat | null> {
  const pack = tar.pack()
  const mtime = new Date()
  for (const entry of entries) {
    if (entry.kind === 'dir') pack.entry({ name: entry.name, type: 'directory', mode: entry.mode ?? 0o755, mtime })
    else pack.entry({ name: entry.name, type: 'file', mode: entry.mode ?? 0o644, mtime, size: entry.body.length }, entry.body)
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  const last = entries.at(-1)?.name ?? '.'
  const script = 'test -d "$1" || { echo "no such folder" >&2; exit 3; }; tar -x --no-same-owner --no-overwrite-dir -C "$1" -f - || exit 4; cd "$1" && exec perl -e "$2" -- "$3"'
  const result = await run(target, ['sh', '-c', script, 'quai-write', dir, perlStat, last], {
    stdin: Buffer.concat(chunks),
    deadlineMs: deadlines.writeMs,
    maxStdoutBytes: 64 * 1024,
  })
  if (result.exitCode === 3) throw new ArchivePathMissingError(dir)
  if (result.exitCode !== 0) throw failure('writing the file', result)
  return statOfLine(result.stdout.split('\n')[0] ?? '')
}
