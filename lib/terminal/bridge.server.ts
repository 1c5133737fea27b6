import 'server-only'
import fs from 'node:fs'
import type { WebSocket } from 'ws'
import { mayMeanDiskFull } from '../checks/causes'
import type { ExecStream } from '../docker/exec-stream.server'
import { webMetrics } from '../metrics/web.server'
import {
  CloseCode,
  decodeClientMessage,
  encodeError,
  encodeExit,
  encodeHolderFrame,
  encodeHolderHello,
  encodeHolderResize,
  encodePong,
  encodeReady,
  flowHighWater,
  flowLowWater,
  holderHeaderLimit,
  holderHeaderPattern,
  HolderFrameType,
  MessageType,
  type TerminalErrorCode,
} from './protocol'

// WebSocket <-> docker exec. The exec runs the session holder (holder.pl) inside the node,
// which owns the learner's shell and its pseudo-terminal; the exec is only an attachment to
// it, so closing the socket (network cut, reload, another server instance taking over) never
// kills the shell. Flow control: output stops being read from the exec once the browser has
// flowHighWater bytes unacknowledged, or once the socket holds sendBufferHighWater bytes it could
// not hand to the kernel yet (a browser that acknowledges without reading), and starts again
// when both are low; the pause propagates through dockerd and the holder to the shell itself,
// so no buffer grows without bound. An ack of more than was sent closes the socket (1002).

const holderSource = fs.readFileSync(new URL('./holder.pl', import.meta.url), 'utf8')

/** Where holders keep their sockets inside a node; the learner can see it, nothing secret there. */
export const holderDir = '/run/quai-term'
/** The holder's exit status when another attach took the session over. */
const takenOverStatus = 200
/** Too much unwritten input (a flood from the browser): stop reading the WebSocket until it drains. */
const inputHighWater = 1024 * 1024
/** This many refused frames in a row and the connection is closed (1008). */
const maxBadFrames = 20
const keepAliveMs = 20_000
/**
 * Output pauses while the WebSocket holds more than this many bytes not yet handed to the
 * kernel (ws.bufferedAmount), whatever the acks say: acks are the browser's word, this is what
 * the server's memory actually holds. Resumes below sendBufferLowWater.
 */
export const sendBufferHighWater = 1024 * 1024
export const sendBufferLowWater = 256 * 1024
/**
 * Past this, the connection is dropped: output is paused long before, so only answers to the
 * browser's own frames (pongs, error frames) sent to a browser that does not read can get here.
 */
export const sendBufferLimit = 4 * 1024 * 1024

/**
 * The command the holder runs the first time: the sandbox image's login shell (else bash),
 * started in the lesson's folder (QUAI_LESSON_DIR, created if the learner removed it).
 */
export const defaultShell = [
  '/bin/sh',
  '-c',
  'if [ -n "$QUAI_LESSON_DIR" ]; then mkdir -p "$QUAI_LESSON_DIR" && export QUAI_LAB="$QUAI_LESSON_DIR"; fi; cd "${QUAI_LAB:-/}" 2>/dev/null; ' +
    'if command -v quai-shell >/dev/null 2>&1; then exec quai-shell; fi; exec bash -l',
]

export type BridgeOptions = {
  /** Session name inside the node (one shell per name). */
  session: string
  node: string
  cols: number
  rows: number
  resume?: string
  /** Environment for the shell when a new one starts (QUAI_LESSON_DIR=...). */
  env: string[]
  shell?: string[]
  openExec: (cmd: string[], env: string[]) => Promise<ExecStream>
  /** Called on keystrokes, at most every 30 s: the sandbox is in use. */
  onActivity?: () => void
  /**
   * Asked when the shell could not start or ended abnormally: true when the node itself died
   * (the sandbox is then ended). The browser is told the sandbox is gone, not that a shell exited.
   */
  nodeDied?: () => Promise<boolean>
  /**
   * Asked when the output reads like a failure a full disk causes (lib/checks/causes.ts
   * mayMeanDiskFull: "no space left on device", or `docker run`'s registry error): true when
   * the sandbox's disk is full. The browser is then told once, with `diskFullMessage`.
   */
  diskFull?: () => Promise<boolean>
  diskFullMessage?: string
  log?: (message: string) => void
}

/** The output's last characters looked at for a full disk's symptoms (a few lines). */
const diskWatchChars = 600
/** After a "not full" answer, the disk is asked again no sooner than this. */
const diskRecheckMs = 5_000

export function holderCommand(opts: Pick<BridgeOptions, 'session' | 'cols' | 'rows' | 'shell'>): string[] {
  return ['perl', '-e', holderSource, '--', 'attach', holderDir, opts.session, String(opts.cols), String(opts.rows), ...(opts.shell ?? defaultShell)]
}

/**
 * Live counters, for tests and the benchmark: how far flow control let output run ahead
 * (unacknowledged bytes, and bytes held in the socket's buffer), and why it paused.
 */
export const bridgeStats = { open: 0, maxUnacked: 0, maxBuffered: 0, pauses: 0, bufferPauses: 0, forgedAcks: 0, overflows: 0 }

/** Largest output frame sent to the browser. */
const outputFrameBytes = 64 * 1024

export async function bridgeTerminal(ws: WebSocket, opts: BridgeOptions): Promise<void> {
  let closed = false
  let exec: ExecStream | null = null
  /** A pending look at the sandbox's disk (watchDisk, below). */
  let diskAsk: NodeJS.Timeout | null = null
  const log = opts.log ?? (() => {})
  const metrics = webMetrics()
  bridgeStats.open++
  metrics.terminalStreamsOpen.inc()

  const send = (frame: Uint8Array, onSent?: () => void) => {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > sendBufferLimit) {
      bridgeStats.overflows++
      // A close frame would wait behind what the browser does not read: cut the connection.
      ws.terminate()
      close(CloseCode.policy, 'the browser does not read what it is sent')
      return
    }
    ws.send(frame, onSent)
    if (ws.bufferedAmount > bridgeStats.maxBuffered) bridgeStats.maxBuffered = ws.bufferedAmount
  }
  const close = (code: number, reason: string) => {
    if (closed) return
    closed = true
    bridgeStats.open--
    metrics.terminalStreamsOpen.dec()
    clearInterval(keepAlive)
    if (diskAsk) clearTimeout(diskAsk)
    exec?.close()
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120))
  }
  const refuse = (code: TerminalErrorCode, message: string) => send(encodeError({ code, message }))
  const nodeDied = () => (opts.nodeDied ? opts.nodeDied().catch(() => false) : Promise.resolve(false))

  let alive = true
  ws.on('pong', () => {
    alive = true
  })
  const keepAlive = setInterval(() => {
    if (!alive) {
      ws.terminate()
      close(CloseCode.timeout, 'no answer to keep-alive')
      return
    }
    alive = false
    ws.ping()
  }, keepAliveMs)
  ws.on('close', () => close(CloseCode.goingAway, 'browser left'))
  ws.on('error', () => close(CloseCode.internal, 'socket error'))

  // Messages that arrive while the exec starts wait here (a few frames at most: the browser
  // sends nothing but a resize before "ready").
  const early: Buffer[] = []
  let unacked = 0
  let resumeIfDrained = () => {}
  let badFrames = 0
  let lastActivity = 0

  const onMessage = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (!isBinary) {
      badFrames++
      refuse('text-frame', 'text frames are not part of the protocol; send binary frames')
    } else {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
      if (!exec) {
        if (early.length > 64) return refuse('busy', 'the terminal is still starting')
        early.push(bytes)
        return
      }
      const decoded = decodeClientMessage(bytes)
      if (!decoded.ok) {
        badFrames++
        refuse(decoded.code, decoded.reason)
      } else {
        badFrames = 0
        const message = decoded.message
        switch (message.type) {
          case 'input': {
            metrics.terminalBytes.inc({ direction: 'from_browser' }, message.data.byteLength)
            if (!exec.write(encodeHolderFrame(HolderFrameType.input, message.data)) && exec.pendingInput > inputHighWater) {
              ws.pause()
            }
            const now = Date.now()
            if (opts.onActivity && now - lastActivity > 30_000) {
              lastActivity = now
              opts.onActivity()
            }
            break
          }
          case 'resize': {
            exec.write(encodeHolderResize(message.cols, message.rows))
            break
          }
          case 'ack':
            if (message.bytes > unacked) {
              // A browser never has more to acknowledge than it was sent: this one is forging
              // acks to lift flow control. Refused outright, not clamped.
              bridgeStats.forgedAcks++
              close(CloseCode.protocolError, `acknowledged ${message.bytes} bytes, only ${unacked} were sent and not yet acknowledged`)
              return
            }
            unacked -= message.bytes
            resumeIfDrained()
            break
          case 'ping':
            send(encodePong(message.data))
            break
        }
      }
    }
    if (badFrames >= maxBadFrames) close(CloseCode.policy, 'too many invalid frames')
  }
  ws.on('message', onMessage)

  try {
    exec = await opts.openExec(holderCommand(opts), opts.env)
  } catch (error) {
    log(`terminal exec failed: ${(error as Error).message}`)
    if (await nodeDied()) return close(CloseCode.sandboxGone, 'node_died: the sandbox node stopped')
    refuse('exec-failed', 'the shell could not be started in this node')
    close(CloseCode.internal, 'exec failed')
    return
  }
  if (closed) {
    exec.close()
    return
  }
  const stream = exec
  const pauseOutput = (reason: 'acks' | 'buffer') => {
    if (stream.paused) return
    if (reason === 'acks') bridgeStats.pauses++
    else bridgeStats.bufferPauses++
    stream.pause()
  }
  resumeIfDrained = () => {
    if (stream.paused && unacked < flowLowWater && ws.bufferedAmount < sendBufferLowWater) stream.resume()
  }
  // Called once a frame has left for the kernel: the socket's buffer may have drained.
  const onFrameSent = () => resumeIfDrained()

  // Output read in the same turn of the event loop leaves as one frame (up to outputFrameBytes):
  // under a flood the browser then handles a few large messages instead of thousands of small
  // ones, and a lone keystroke's echo still leaves at the end of the current turn.
  let queued: Buffer[] = []
  let queuedBytes = 0
  let flushScheduled = false
  const flushOutput = () => {
    flushScheduled = false
    if (queuedBytes === 0) return
    const frame = Buffer.allocUnsafe(1 + queuedBytes)
    frame[0] = MessageType.output
    let at = 1
    for (const part of queued) at += part.copy(frame, at)
    queued = []
    queuedBytes = 0
    send(frame, onFrameSent)
    if (ws.bufferedAmount > sendBufferHighWater) pauseOutput('buffer')
  }
  const queueOutput = (chunk: Buffer) => {
    metrics.terminalBytes.inc({ direction: 'to_browser' }, chunk.length)
    if (queuedBytes + chunk.length > outputFrameBytes) flushOutput()
    queued.push(chunk)
    queuedBytes += chunk.length
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushOutput)
    }
  }

  // A full disk is told once per connection, in the learner's language: `docker run` says
  // something else (a registry it cannot reach). The line goes beside the output, not in it
  // (the session's offsets count the shell's bytes only).
  let tail = ''
  let diskTold = false
  let diskAskedAt = 0
  const askDisk = () => {
    diskAsk = null
    diskAskedAt = Date.now()
    void opts.diskFull?.().then(
      (full) => {
        if (!full || diskTold || closed) return
        diskTold = true
        flushOutput()
        refuse('disk-full', (opts.diskFullMessage ?? 'The sandbox disk is full.').slice(0, 500))
      },
      () => {},
    )
  }
  const watchDisk = (chunk: Buffer) => {
    if (diskTold || !opts.diskFull) return
    // Only the chunk's end can matter: a flood of output is not decoded whole for this.
    tail = (tail + chunk.subarray(-diskWatchChars * 4).toString('utf8')).slice(-diskWatchChars)
    if (!mayMeanDiskFull(tail.replace(/\s+/g, ' '))) return
    // Each symptom is asked about once (at most one statfs every diskRecheckMs).
    tail = ''
    diskAsk ??= setTimeout(askDisk, Math.max(0, diskAskedAt + diskRecheckMs - Date.now()))
  }

  // The holder first sends its header line (protocol.ts: holderHeaderPattern), then raw terminal output.
  let header: Buffer | null = Buffer.alloc(0)
  stream.onOutput((chunk) => {
    if (header) {
      header = Buffer.concat([header, chunk])
      const nl = header.indexOf(0x0a)
      if (nl === -1) {
        if (header.length > holderHeaderLimit) {
          refuse('exec-failed', `the session holder did not start: ${header.subarray(0, 200).toString('utf8')}`)
          close(CloseCode.internal, 'holder failed')
        }
        return
      }
      const match = holderHeaderPattern.exec(header.subarray(0, nl).toString('latin1'))
      if (!match) {
        refuse('exec-failed', `the session holder did not start: ${header.subarray(0, 200).toString('utf8')}`)
        close(CloseCode.internal, 'holder failed')
        return
      }
      const [, epoch = '', offset = '0'] = match
      const resumed = opts.resume === `${epoch}:${offset}`
      send(encodeReady({ epoch, offset: Number(offset), node: opts.node, session: opts.session, resumed }))
      chunk = header.subarray(nl + 1)
      header = null
      if (chunk.length === 0) return
    }
    queueOutput(chunk)
    watchDisk(chunk)
    unacked += chunk.length
    if (unacked > bridgeStats.maxUnacked) bridgeStats.maxUnacked = unacked
    if (unacked > flowHighWater) pauseOutput('acks')
  })
  stream.onDrain(() => {
    if (ws.isPaused) ws.resume()
  })
  stream.onEnd(async (error) => {
    if (closed) return
    const code = await stream.exitCode()
    if (closed) return
    if (code === takenOverStatus) return close(CloseCode.takenOver, 'this shell was opened in another window')
    if (code !== 0 && (await nodeDied())) return close(CloseCode.sandboxGone, 'node_died: the sandbox node stopped')
    if (closed) return
    if (code === null || error) return close(CloseCode.internal, 'the connection to the node was lost')
    flushOutput()
    send(encodeExit({ code }))
    close(CloseCode.shellExited, 'the shell exited')
  })

  stream.write(encodeHolderHello(opts.resume))
  for (const bytes of early.splice(0)) onMessage(bytes, true)
}
