import 'server-only'
import type { Duplex } from 'node:stream'
import { PassThrough } from 'node:stream'
import { apiOf, type DockerDaemon } from './client.server'
import { diagnoseDockerError } from './diagnose.server'
import { classifyDockerError, ContainerNotRunningError, DockerReadAbortedError, statusCodeOf } from './errors.server'

// Commands run to completion in a container (no TTY), their output collected with a cap.
// One implementation, two faces: execInContainer for Quai's own commands in a node (host
// engine; a timeout is a result, failures are diagnosed as host problems) and
// probeInContainer for the checks' read-only probes in a learner's container (inner daemon;
// a timeout, an abort or a lost daemon is an error). Interactive streams: exec-stream.server.ts.

export type ExecOptions = {
  env?: string[]
  workingDir?: string
  user?: string
  /** Bytes written to the process's stdin, then closed. */
  stdin?: string | Buffer
  /** Stop waiting after this long (the stream is cut; the caller should also bound the process). */
  timeoutMs?: number
  /** Output kept per stream (default defaultMaxOutputBytes); the rest is counted but dropped. */
  maxOutputBytes?: number
}

export const defaultMaxOutputBytes = 1024 * 1024

export type ExecResult = {
  /** null when unknown (timed out, or the daemon went away). */
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  truncated: boolean
  durationMs: number
}

class Collector {
  private chunks: Buffer[] = []
  private size = 0
  truncated = false
  constructor(private readonly max: number) {}
  push(chunk: Buffer) {
    const room = this.max - this.size
    if (room <= 0) {
      this.truncated = true
      return
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk
    if (part.length < chunk.length) this.truncated = true
    this.chunks.push(part)
    this.size += part.length
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

type RunResult = ExecResult & { aborted: boolean; streamError?: unknown; inspectError?: unknown }

async function runExec(
  docker: DockerDaemon,
  containerId: string,
  cmd: string[],
  options: ExecOptions & { signal?: AbortSignal },
  mapError: (error: unknown, step: 'create' | 'start') => unknown,
): Promise<RunResult> {
  const started = performance.now()
  const api = apiOf(docker)
  const hasStdin = options.stdin !== undefined
  let exec
  try {
    exec = await api.getContainer(containerId).exec({
      Cmd: cmd,
      Env: options.env,
      WorkingDir: options.workingDir,
      User: options.user,
      AttachStdin: hasStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    })
  } catch (error) {
    throw mapError(error, 'create')
  }
  let stream: Duplex
  try {
    stream = (await exec.start({ hijack: true, stdin: hasStdin })) as unknown as Duplex
  } catch (error) {
    throw mapError(error, 'start')
  }
  const max = options.maxOutputBytes ?? defaultMaxOutputBytes
  const out = new Collector(max)
  const err = new Collector(max)
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  stdout.on('data', (c: Buffer) => out.push(c))
  stderr.on('data', (c: Buffer) => err.push(c))
  api.modem.demuxStream(stream, stdout, stderr)

  let timedOut = false
  let aborted = false
  let streamError: unknown
  const signal = options.signal
  const done = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    const onAbort = () => {
      aborted = true
      stream.destroy()
      finish()
    }
    stream.once('end', finish)
    stream.once('close', finish)
    stream.once('error', (error) => {
      streamError = error
      finish()
    })
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true
        stream.destroy()
        finish()
      }, options.timeoutMs)
    }
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
  })
  if (hasStdin && !aborted) {
    stream.write(options.stdin)
    // Half-close: the process sees EOF on stdin, its output keeps coming.
    ;(stream as unknown as { end: () => void }).end()
  }
  await done

  let exitCode: number | null = null
  let inspectError: unknown
  if (!timedOut && !aborted) {
    // The stream can end a moment before dockerd marks the exec finished.
    for (let i = 0; i < 20; i++) {
      const info = await exec.inspect().catch((error: unknown) => {
        inspectError = error
        return null
      })
      if (!info) break
      if (!info.Running) {
        exitCode = info.ExitCode ?? null
        break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  return {
    exitCode,
    stdout: out.text(),
    stderr: err.text(),
    timedOut,
    truncated: out.truncated || err.truncated,
    durationMs: Math.round(performance.now() - started),
    aborted,
    streamError,
    inspectError,
  }
}

/** Run a command in a container of the host engine (no TTY), collect its output and exit code. */
export async function execInContainer(docker: DockerDaemon, containerId: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const r = await runExec(docker, containerId, cmd, options, (error) => diagnoseDockerError(error))
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, truncated: r.truncated, durationMs: r.durationMs }
}

export interface ExecOutput {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Run a read-only probe inside a container of the daemon (dns lookup, TCP connect, HTTP GET).
 * Output is capped at `maxBytes` per stream. The command must bound its own run time (the
 * caller wraps it in `timeout`); `timeoutMs` is the last resort that stops waiting.
 * Throws ContainerNotRunningError, DockerReadAbortedError, DockerDaemonUnavailableError.
 */
export async function probeInContainer(
  docker: DockerDaemon,
  container: string,
  cmd: string[],
  opts: { timeoutMs: number; maxBytes?: number; signal?: AbortSignal },
): Promise<ExecOutput> {
  const r = await runExec(docker, container, cmd, { timeoutMs: opts.timeoutMs, maxOutputBytes: opts.maxBytes ?? 256 * 1024, signal: opts.signal }, (error, step) => {
    const status = statusCodeOf(error)
    if (status === 404 && step === 'create') return new ContainerNotRunningError(container, true)
    if (status === 409) return new ContainerNotRunningError(container, false)
    return classifyDockerError(error)
  })
  if (r.aborted) throw new DockerReadAbortedError('aborted')
  if (r.timedOut) throw new DockerReadAbortedError(`probe in ${container} took longer than ${opts.timeoutMs} ms`)
  if (r.streamError !== undefined) throw classifyDockerError(r.streamError)
  if (r.inspectError !== undefined) throw classifyDockerError(r.inspectError)
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr }
}
