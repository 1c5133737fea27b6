import { FitAddon } from '@xterm/addon-fit'
import { WebLinksAddon } from '@xterm/addon-web-links'
import { Terminal, type IDisposable, type ITerminalOptions } from '@xterm/xterm'
import { copyText } from '../browser/secure-context'
import {
  ackEveryBytes,
  clampSize,
  CloseCode,
  decodeServerMessage,
  encodeAck,
  encodeInputChunks,
  encodePing,
  encodeResize,
  terminalPath,
} from './protocol'
import { acknowledgeOnArrivalBytes, learnerScrollback, OutputFeed } from './unseen-output'

// The browser terminal: one class owns the xterm Terminal, its addons, the WebSocket and every
// listener and timer, registered in one list and disposed together (the ttyd/wetty habit).
// The React wrapper creates it in an effect and disposes it on unmount.

export type TerminalState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; attempt: number; inMs: number }
  | { kind: 'exited'; code: number | null }
  | { kind: 'taken-over' }
  | { kind: 'closed' }

export type TerminalClientOptions = {
  sandboxId: string
  node: string
  session: number
  courseSlug: string
  lessonSlug: string
  container: HTMLElement
  onState?: (state: TerminalState) => void
  /** Lines written into the terminal itself (already translated). */
  messages: { exited: (code: number | null) => string; newShell: string; lost: string; takenOver: string }
  /** Origin of the app, for tests; defaults to the page's. */
  baseUrl?: string
}

/** Ctrl-C, Ctrl-\ and Ctrl-Z (INTR, QUIT, SUSP): the learner stops the program and waits for the prompt. */
const interruptKeys = [0x03, 0x1c, 0x1a]
const hasInterruptKey = (data: string | Uint8Array) =>
  typeof data === 'string' ? interruptKeys.some((key) => data.includes(String.fromCharCode(key))) : data.some((byte) => interruptKeys.includes(byte))
const backoffMs = [250, 500, 1000, 2000, 4000, 8000, 10_000]
const pingEveryMs = 15_000
/** Silence this long (no frame at all, not even a pong) and the connection is presumed dead. */
const deadAfterMs = 40_000

/** The learner's xterm (also what the benchmark measures xterm alone with). */
export const terminalOptions: ITerminalOptions = {
  cursorBlink: true,
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  fontSize: 14,
  scrollback: learnerScrollback,
  allowProposedApi: false,
  theme: { background: '#020617', foreground: '#e2e8f0', cursor: '#f8fafc', selectionBackground: '#334155' },
}

const dim = (text: string) => `\r\n\x1b[2m${text}\x1b[0m\r\n`
const notice = (text: string) => `\r\n\x1b[33m${text}\x1b[0m\r\n`
const encoder = new TextEncoder()

/** `acked`: acknowledged on arrival; `socket`: the connection to acknowledge it on (null: our own text). */
type OutputOrigin = { acked: boolean; socket: WebSocket | null }

export class TerminalClient {
  readonly terminal: Terminal
  private readonly fit = new FitAddon()
  private readonly disposables: IDisposable[] = []
  private socket: WebSocket | null = null
  private state: TerminalState = { kind: 'connecting' }
  private disposed = false
  private attempt = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  /** Shell identity and how many of its output bytes this terminal holds: the resume point. */
  private epoch: string | null = null
  private offset = 0
  private pendingAck = 0
  private ackQueued = false
  /** Output on its way into xterm (lib/terminal/unseen-output.ts: what is never seen is dropped). */
  private readonly feed: OutputFeed<OutputOrigin>
  private tailTimer: ReturnType<typeof setTimeout> | undefined
  private lastFrameAt = 0
  /** Keys typed (or code blocks run) before the shell is ready; sent once it is. */
  private queued: Uint8Array[] = []
  private queuedBytes = 0
  private size = { cols: 80, rows: 24 }

  constructor(private readonly options: TerminalClientOptions) {
    this.terminal = new Terminal(terminalOptions)
    const term = this.terminal
    term.loadAddon(this.fit)
    term.loadAddon(new WebLinksAddon((event, uri) => {
      event.preventDefault()
      window.open(uri, '_blank', 'noopener,noreferrer')
    }))
    this.disposables.push(term)
    // Output parsed or dropped while xterm was behind is acknowledged once done with.
    this.feed = new OutputFeed<OutputOrigin>(term, (origin, bytes) => {
      if (!origin.acked) this.acknowledgeLater(origin.socket, bytes)
    })
    this.disposables.push(this.feed)
    term.open(options.container)
    this.fitToPanel()

    this.disposables.push(
      term.onData((data) => this.sendInput(data)),
      term.onBinary((data) => this.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
      term.onResize(({ cols, rows }) => {
        this.size = clampSize(cols, rows)
        this.sendFrame(encodeResize(this.size.cols, this.size.rows))
      }),
    )
    // Ctrl+Shift+C / Ctrl+Shift+V (Cmd+C / Cmd+V work natively), like desktop terminals.
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true
      if (event.code === 'KeyC') {
        void this.copySelection()
        return false
      }
      if (event.code === 'KeyV') {
        void this.pasteFromClipboard()
        return false
      }
      return true
    })
    const onContextMenu = (event: MouseEvent) => {
      event.preventDefault()
      if (term.hasSelection()) void this.copySelection()
      else void this.pasteFromClipboard()
    }
    options.container.addEventListener('contextmenu', onContextMenu)
    this.disposables.push({ dispose: () => options.container.removeEventListener('contextmenu', onContextMenu) })

    const observer = new ResizeObserver(() => this.fitToPanel())
    observer.observe(options.container)
    this.disposables.push({ dispose: () => observer.disconnect() })

    const onOnline = () => {
      if (this.state.kind === 'reconnecting') this.connectNow()
    }
    window.addEventListener('online', onOnline)
    this.disposables.push({ dispose: () => window.removeEventListener('online', onOnline) })

    const ping = setInterval(() => {
      if (this.socket?.readyState !== WebSocket.OPEN) return
      if (Date.now() - this.lastFrameAt > deadAfterMs) {
        this.socket.close(CloseCode.timeout, 'no answer')
        return
      }
      this.sendFrame(encodePing())
    }, pingEveryMs)
    this.disposables.push({ dispose: () => clearInterval(ping) })
    this.disposables.push({ dispose: () => clearTimeout(this.reconnectTimer) })
    this.disposables.push({ dispose: () => clearTimeout(this.tailTimer) })
    this.disposables.push({
      dispose: () => {
        const socket = this.socket
        this.socket = null
        if (socket && socket.readyState <= WebSocket.OPEN) socket.close(CloseCode.normal, 'closed by the page')
      },
    })
  }

  get currentState(): TerminalState {
    return this.state
  }

  connect(): void {
    this.connectNow()
  }

  /** Reconnect at once (a "reconnect" button, or taking the shell back from another window). */
  reconnect(): void {
    this.attempt = 0
    this.connectNow()
  }

  /** Type text into the shell, as a lesson's code block asks ("run" presses Enter too). */
  paste(text: string, run: boolean): void {
    if (this.state.kind === 'exited' || this.state.kind === 'taken-over') this.connectNow()
    this.terminal.paste(text.replace(/\r?\n$/, ''))
    if (run) this.sendInput('\r')
    this.terminal.focus()
  }

  focus(): void {
    this.terminal.focus()
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose()
      } catch {
        // A half-built terminal still disposes the rest.
      }
    }
  }

  private setState(state: TerminalState) {
    this.state = state
    this.options.onState?.(state)
  }

  private fitToPanel() {
    if (this.disposed || this.options.container.clientWidth === 0) return
    try {
      this.fit.fit()
    } catch {
      // Not laid out yet; the ResizeObserver calls again.
    }
  }

  private url(): string {
    const o = this.options
    const base = new URL(o.baseUrl ?? window.location.href)
    const url = new URL(terminalPath(o.sandboxId), base)
    url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:'
    const params = url.searchParams
    params.set('node', o.node)
    params.set('session', String(o.session))
    params.set('course', o.courseSlug)
    params.set('lesson', o.lessonSlug)
    params.set('cols', String(this.size.cols))
    params.set('rows', String(this.size.rows))
    if (this.epoch) params.set('resume', `${this.epoch}:${this.offset}`)
    return url.toString()
  }

  private connectNow() {
    if (this.disposed) return
    clearTimeout(this.reconnectTimer)
    const old = this.socket
    if (old) {
      this.socket = null
      old.onclose = null
      if (old.readyState <= WebSocket.OPEN) old.close(CloseCode.normal)
    }
    this.size = clampSize(this.terminal.cols, this.terminal.rows)
    this.setState(this.attempt === 0 ? { kind: 'connecting' } : this.state)
    const socket = new WebSocket(this.url())
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    this.pendingAck = 0
    socket.onopen = () => {
      this.lastFrameAt = Date.now()
    }
    socket.onmessage = (event) => {
      if (this.socket !== socket) return
      this.lastFrameAt = Date.now()
      if (!(event.data instanceof ArrayBuffer)) return
      this.onFrame(event.data)
    }
    socket.onclose = (event) => {
      if (this.socket !== socket || this.disposed) return
      this.socket = null
      this.onClose(event.code)
    }
  }

  private onFrame(data: ArrayBuffer) {
    const decoded = decodeServerMessage(data)
    if (!decoded.ok) return
    const message = decoded.message
    switch (message.type) {
      case 'output':
        this.offset += message.data.byteLength
        this.writeOutput(message.data)
        break
      case 'ready': {
        const { epoch, offset, resumed } = message.ready
        if (this.epoch && !resumed) {
          this.writeText(dim(epoch === this.epoch ? this.options.messages.lost : this.options.messages.newShell))
        }
        this.epoch = epoch
        this.offset = offset
        this.attempt = 0
        this.setState({ kind: 'open' })
        // The shell may have another size than this panel (opened elsewhere): tell it ours.
        this.sendFrame(encodeResize(this.size.cols, this.size.rows))
        for (const frame of this.queued.splice(0)) this.sendFrame(frame)
        this.queuedBytes = 0
        break
      }
      case 'exit':
        this.setState({ kind: 'exited', code: message.exit.code })
        this.writeText(dim(this.options.messages.exited(message.exit.code)))
        this.epoch = null
        break
      case 'error':
        // A notice for the learner (in their language, from the server): said in the terminal.
        if (message.error.code === 'disk-full') this.writeText(notice(message.error.message))
        else console.warn(`terminal: ${message.error.code}: ${message.error.message}`)
        break
      case 'pong':
        break
    }
  }

  /**
   * Flow control, browser side (the xterm.js guidance: watch the parser's backlog). Output is
   * acknowledged as soon as it arrives while less than acknowledgeOnArrivalBytes waits to be
   * parsed, and only once parsed (or dropped unseen) when xterm falls behind. The server pauses
   * the shell above flowHighWater unacknowledged bytes, so the page never holds more than about
   * acknowledgeOnArrivalBytes + flowHighWater, and the pipe does not drain on every round trip. Acks are
   * batched (in Chromium each WebSocket.send is an IPC hop, 0.5 ms per ack in a profile): on
   * arrival, one per ackEveryBytes and a quiet tail after 50 ms; after parsing, one per parse
   * slice, at once, since the server may be paused.
   */
  private writeOutput(data: Uint8Array) {
    const size = data.byteLength
    const socket = this.socket
    const early = this.feed.backlog < acknowledgeOnArrivalBytes
    if (early) {
      // Batched: one ack per ackEveryBytes arriving; a quiet tail goes out after a moment.
      this.pendingAck += size
      if (this.pendingAck >= ackEveryBytes) this.flushAck(socket)
      else {
        clearTimeout(this.tailTimer)
        this.tailTimer = setTimeout(() => this.flushAck(socket), 50)
      }
    }
    this.feed.push(data, { acked: early, socket })
  }

  /** Lines of our own (reconnected, exited...), after the output already received. */
  private writeText(text: string) {
    this.feed.push(encoder.encode(text), { acked: true, socket: null })
  }

  /** Output parsed or dropped while xterm was behind: acknowledged at the end of the slice. */
  private acknowledgeLater(socket: WebSocket | null, bytes: number) {
    if (socket === null || socket !== this.socket) return
    this.pendingAck += bytes
    this.queueFlush(socket)
  }

  /** One ack for everything xterm parsed in its current slice (sent once the slice ends). */
  private queueFlush(socket: WebSocket | null) {
    if (this.ackQueued) return
    this.ackQueued = true
    queueMicrotask(() => {
      this.ackQueued = false
      this.flushAck(socket)
    })
  }

  private flushAck(socket: WebSocket | null) {
    clearTimeout(this.tailTimer)
    if (this.pendingAck > 0 && this.socket === socket) this.sendFrame(encodeAck(this.pendingAck))
    this.pendingAck = 0
  }

  private onClose(code: number) {
    if (code === CloseCode.normal) return this.setState({ kind: 'closed' })
    if (code === CloseCode.takenOver) {
      this.writeText(dim(this.options.messages.takenOver))
      return this.setState({ kind: 'taken-over' })
    }
    if (code === CloseCode.shellExited) {
      if (this.state.kind !== 'exited') this.setState({ kind: 'exited', code: null })
      return
    }
    const delay = backoffMs[Math.min(this.attempt, backoffMs.length - 1)] ?? 10_000
    const inMs = Math.round(delay * (0.8 + Math.random() * 0.4))
    this.attempt++
    this.setState({ kind: 'reconnecting', attempt: this.attempt, inMs })
    this.reconnectTimer = setTimeout(() => this.connectNow(), inMs)
  }

  private sendInput(data: string | Uint8Array) {
    // After the shell exited (or went to another window), a key starts or takes it back.
    if (this.state.kind === 'exited' || this.state.kind === 'taken-over') {
      this.connectNow()
      return
    }
    const frames = encodeInputChunks(data)
    // Ctrl-C during a flood: what still arrives is the flood's end, then the prompt.
    if (hasInterruptKey(data)) this.feed.interrupt()
    if (this.state.kind === 'open' && this.socket?.readyState === WebSocket.OPEN) {
      for (const frame of frames) this.sendFrame(frame)
      return
    }
    for (const frame of frames) {
      if (this.queuedBytes + frame.byteLength > 64 * 1024) break
      this.queued.push(frame)
      this.queuedBytes += frame.byteLength
    }
  }

  private sendFrame(frame: Uint8Array) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame)
  }

  private async copySelection() {
    const text = this.terminal.getSelection()
    if (!text) return
    // Refused both ways: the browser's own copy (menu, Ctrl+Shift+C) still works.
    await copyText(text)
  }

  private async pasteFromClipboard() {
    try {
      const text = await navigator.clipboard.readText()
      if (text) this.terminal.paste(text)
    } catch {
      // Clipboard read refused: Ctrl+V / the browser menu still paste.
    }
  }
}
