// Browser entry for the terminal benchmark (bundled by scripts/bench/terminal.ts with esbuild
// and injected into a page on Quai's origin): Quai's real TerminalClient in a plain div, and
// the same in-page measurements for it and for wetty's terminal, both xterm.js instances.
import '@xterm/xterm/css/xterm.css'
import { Terminal } from '@xterm/xterm'
import { TerminalClient, terminalOptions } from '../../lib/terminal/client'
import { ackEveryBytes, encodeAck } from '../../lib/terminal/protocol'

type XtermLike = {
  input: (data: string, wasUserInput?: boolean) => void
  onWriteParsed: (listener: () => void) => { dispose: () => void }
  buffer: { active: { cursorY: number; baseY: number; getLine: (y: number) => { translateToString: (trim?: boolean) => string } | undefined } }
}

function nextParse(term: XtermLike, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose()
      resolve(false)
    }, timeoutMs)
    const sub = term.onWriteParsed(() => {
      clearTimeout(timer)
      sub.dispose()
      resolve(true)
    })
  })
}

function recentText(term: XtermLike): string {
  const b = term.buffer.active
  let text = ''
  for (let y = Math.max(0, b.baseY + b.cursorY - 3); y <= b.baseY + b.cursorY; y++) text += `${b.getLine(y)?.translateToString(true) ?? ''}\n`
  return text
}

async function until(term: XtermLike, needle: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!recentText(term).includes(needle)) {
    const left = deadline - performance.now()
    if (left <= 0) return false
    await nextParse(term, Math.min(left, 500))
  }
  return true
}

const throughputLine = 'Quai throughput: the quick brown fox jumps over the lazy dog 0123456789'

function panel(): HTMLDivElement {
  const div = document.createElement('div')
  // The size of the lesson's terminal panel on a laptop (about 80 x 25), like wetty's page here.
  div.style.cssText = 'width:680px;height:440px'
  document.body.append(div)
  return div
}

const bench = {
  client: null as TerminalClient | null,

  startQuai(options: { sandboxId: string; node: string; courseSlug: string; lessonSlug: string; session: number }): void {
    bench.client = new TerminalClient({
      ...options,
      container: panel(),
      messages: { exited: () => '[exit]', newShell: '[new shell]', lost: '[lost]', takenOver: '[taken over]' },
    })
    bench.client.connect()
  },

  quaiTerm: (): XtermLike => bench.client?.terminal as unknown as XtermLike,
  wettyTerm: (): XtermLike => (window as unknown as { wetty_term: XtermLike }).wetty_term,

  /** Types a command and waits for a marker it prints ("$((1+1))" so the typed echo cannot match). */
  async run(which: 'quai' | 'wetty', command: string, timeoutMs = 30_000): Promise<boolean> {
    const term = which === 'quai' ? bench.quaiTerm() : bench.wettyTerm()
    const marker = `MK${Math.floor(Math.random() * 1e9)}`
    term.input(`${command}; echo ${marker}-$((40+2))\r`, true)
    return until(term, `${marker}-42`, timeoutMs)
  },

  /** Types text and waits until `needle` shows on screen. */
  async typeAndWait(which: 'quai' | 'wetty', text: string, needle: string, timeoutMs = 30_000): Promise<boolean> {
    const term = which === 'quai' ? bench.quaiTerm() : bench.wettyTerm()
    term.input(text, true)
    return until(term, needle, timeoutMs)
  },

  /** One keystroke's round trip, n times: input() -> WebSocket -> server -> exec -> back -> parsed. */
  async echo(which: 'quai' | 'wetty', n: number): Promise<number[]> {
    const term = which === 'quai' ? bench.quaiTerm() : bench.wettyTerm()
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const parsed = nextParse(term, 5000)
      const start = performance.now()
      term.input('a', true)
      if (!(await parsed)) throw new Error(`no echo for keystroke ${i}`)
      times.push(performance.now() - start)
    }
    return times
  },

  /** Seconds to receive and parse `bytes` of text (lines of 75 bytes) through the terminal. */
  async throughput(which: 'quai' | 'wetty', bytes: number, timeoutMs: number): Promise<number | null> {
    const term = which === 'quai' ? bench.quaiTerm() : bench.wettyTerm()
    const marker = `END${Math.floor(Math.random() * 1e9)}`
    const start = performance.now()
    term.input(`yes '${throughputLine}' | head -c ${bytes}; echo; echo ${marker}-$((1+1))\r`, true)
    const done = await until(term, `${marker}-2`, timeoutMs)
    return done ? (performance.now() - start) / 1000 : null
  },

  // The ceilings: what each half of the browser's work allows on its own, on this machine.

  /**
   * From now on Quai's terminal parses only the last bytes of each output frame (enough to see
   * the end marker) and acknowledges the rest at once: the whole path minus xterm's work.
   */
  skipParsing(): void {
    const term = bench.client?.terminal as unknown as { write: (data: Uint8Array, done?: () => void) => void }
    const write = term.write.bind(term)
    bench.parseAgain = () => {
      delete (term as { write?: unknown }).write
      bench.parseAgain = () => {}
    }
    term.write = (data, done) => {
      write(data.byteLength > 256 ? data.subarray(data.byteLength - 256) : data)
      done?.()
    }
  },

  /** Undoes skipParsing: xterm parses everything again. */
  parseAgain: (): void => {},

  /** Seconds for xterm alone (Quai's settings, the same panel) to take `bytes` of lines written locally. */
  async xtermAlone(bytes: number): Promise<number> {
    const term = new Terminal(terminalOptions)
    term.open(panel())
    const lines = `${throughputLine}\r\n`.repeat(Math.ceil(65536 / (throughputLine.length + 2)))
    const chunk = new TextEncoder().encode(lines)
    const start = performance.now()
    await new Promise<void>((resolve) => {
      let written = 0
      let inFlight = 0
      const pump = () => {
        while (inFlight < 8 && written < bytes) {
          inFlight++
          written += chunk.byteLength
          term.write(chunk, () => {
            inFlight--
            if (written >= bytes && inFlight === 0) resolve()
            else pump()
          })
        }
      }
      pump()
    })
    const seconds = (performance.now() - start) / 1000
    term.dispose()
    return seconds
  },

  /** Seconds to receive `bytes` from a bare WebSocket server (Quai's frames and acks, no terminal). */
  async websocketAlone(url: string, bytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.binaryType = 'arraybuffer'
      let received = 0
      let pending = 0
      let start = 0
      ws.onopen = () => (start = performance.now())
      ws.onerror = () => reject(new Error(`cannot reach ${url}`))
      ws.onmessage = (event) => {
        const size = (event.data as ArrayBuffer).byteLength - 1
        received += size
        pending += size
        if (pending >= ackEveryBytes) {
          ws.send(encodeAck(pending))
          pending = 0
        }
        if (received >= bytes) {
          ws.close()
          resolve((performance.now() - start) / 1000)
        }
      }
    })
  },
}

;(window as unknown as { quaiBench: typeof bench }).quaiBench = bench
