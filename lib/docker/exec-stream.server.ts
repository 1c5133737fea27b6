import 'server-only'
import type { Socket } from 'node:net'
import type { Duplex, Writable } from 'node:stream'
import { apiOf, type DockerDaemon } from './client.server'

// A raw, duplex, flow-controlled exec stream for the terminal. dockerode's exec helpers
// buffer and demultiplex through extra streams; the terminal needs the hijacked socket
// itself, so that pausing it pushes back all the way to the process (socket -> dockerd ->
// the process's stdout pipe) and memory stays bounded without any queue of ours.
// Non-TTY exec: the output arrives multiplexed (8-byte headers), demultiplexed here in place.

export type ExecStream = {
  /** Bytes for the process's stdin; false when the socket's buffer is over its high-water mark. */
  write: (data: Uint8Array) => boolean
  /** Bytes of stdout (1) and stderr (2), in order, as they arrive (subarrays of the socket's chunks). */
  onOutput: (listener: (chunk: Buffer, stream: 1 | 2) => void) => void
  /** The stream ended (process exited, or the connection to the daemon broke). */
  onEnd: (listener: (error?: Error) => void) => void
  onDrain: (listener: () => void) => void
  pause: () => void
  resume: () => void
  readonly paused: boolean
  /** Bytes accepted by write() but not yet handed to the kernel. */
  readonly pendingInput: number
  /** Hang up: the process sees EOF on stdin. */
  close: () => void
  /** Exit code once the process has ended, null when unknown (still running or daemon gone). */
  exitCode: () => Promise<number | null>
}

/** A container on some Docker engine (the host's, or a remote placement's). */
export type ContainerRef = { docker: DockerDaemon; containerId: string }

export type ExecStreamOptions = {
  cmd: string[]
  env?: string[]
  workingDir?: string
  user?: string
}

/** Demultiplexes Docker's stdout/stderr frames (stream byte, 3 zero bytes, u32 size, payload). */
export class ExecDemuxer {
  private header = Buffer.alloc(8)
  private headerFill = 0
  private remaining = 0
  private skip = false
  private stream: 1 | 2 = 1

  /** `emit` gets each payload with its stream: 1 stdout, 2 stderr. */
  constructor(private readonly emit: (chunk: Buffer, stream: 1 | 2) => void) {}

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - at)
        chunk.copy(this.header, this.headerFill, at, at + take)
        this.headerFill += take
        at += take
        if (this.headerFill < 8) return
        this.headerFill = 0
        // Stream 0 is stdin (never sent back); 1 and 2 are stdout and stderr.
        this.skip = this.header[0] !== 1 && this.header[0] !== 2
        this.stream = this.header[0] === 2 ? 2 : 1
        this.remaining = this.header.readUInt32BE(4)
        continue
      }
      const take = Math.min(this.remaining, chunk.length - at)
      if (!this.skip) this.emit(chunk.subarray(at, at + take), this.stream)
      this.remaining -= take
      at += take
    }
  }
}

/**
 * A non-TTY exec's hijacked connection split into stdout and stderr, with backpressure: while
 * `stdout` is full (write() said false) the connection is paused, so dockerd stops reading the
 * process's pipe and the process blocks in its write; nothing piles up in Quai's memory.
 * (docker-modem's demuxStream writes on regardless: a reader that does not keep up makes it
 * buffer the whole output.) `stdout` is ended when the connection ends; stderr goes to `onStderr`,
 * which must bound what it keeps. `onStdout` sees each stdout payload before it is written
 * and may return false to drop it (a cap reached): the caller then ends or destroys things.
 */
export function demuxExecOutput(
  socket: Duplex,
  outputs: { stdout: Writable; onStderr: (chunk: Buffer) => void; onStdout?: (chunk: Buffer) => boolean },
): void {
  const { stdout, onStderr, onStdout } = outputs
  let waiting = false
  const demux = new ExecDemuxer((chunk, stream) => {
    if (stream === 2) return onStderr(chunk)
    if (onStdout && !onStdout(chunk)) return
    if (stdout.destroyed || stdout.writableEnded) return
    if (!stdout.write(chunk) && !waiting) {
      waiting = true
      socket.pause()
      stdout.once('drain', () => {
        waiting = false
        socket.resume()
      })
    }
  })
  socket.on('data', (chunk: Buffer) => demux.push(chunk))
  socket.once('end', () => {
    if (!stdout.destroyed && !stdout.writableEnded) stdout.end()
  })
  // Whoever stops reading (a download the browser dropped) hangs up the exec: the process gets EPIPE.
  stdout.once('close', () => socket.destroy())
}

export async function openExecStream(ref: ContainerRef, options: ExecStreamOptions): Promise<ExecStream> {
  const exec = await apiOf(ref.docker).getContainer(ref.containerId).exec({
    Cmd: options.cmd,
    Env: options.env,
    WorkingDir: options.workingDir,
    User: options.user,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  })
  const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex
  // Keystrokes go out at once (a remote daemon's TCP connection; a no-op on unix sockets).
  ;(socket as Partial<Socket>).setNoDelay?.(true)

  const outputListeners: ((chunk: Buffer, stream: 1 | 2) => void)[] = []
  const endListeners: ((error?: Error) => void)[] = []
  const drainListeners: (() => void)[] = []
  const demux = new ExecDemuxer((chunk, stream) => {
    for (const l of outputListeners) l(chunk, stream)
  })
  let ended = false
  let paused = false
  const end = (error?: Error) => {
    if (ended) return
    ended = true
    for (const l of endListeners) l(error)
  }
  socket.on('data', (chunk: Buffer) => demux.push(chunk))
  socket.on('end', () => end())
  socket.on('close', () => end())
  socket.on('error', (error: Error) => end(error))
  socket.on('drain', () => {
    for (const l of drainListeners) l()
  })

  return {
    write: (data) => (ended ? false : socket.write(data)),
    onOutput: (l) => void outputListeners.push(l),
    onEnd: (l) => void endListeners.push(l),
    onDrain: (l) => void drainListeners.push(l),
    pause: () => {
      paused = true
      socket.pause()
    },
    resume: () => {
      paused = false
      socket.resume()
    },
    get paused() {
      return paused
    },
    get pendingInput() {
      return socket.writableLength
    },
    close: () => {
      socket.destroy()
    },
    exitCode: async () => {
      // The stream can end a moment before dockerd marks the exec finished.
      for (let i = 0; i < 10; i++) {
        try {
          const info = await exec.inspect()
          if (!info.Running) return info.ExitCode ?? null
        } catch {
          return null
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      return null
    },
  }
}
