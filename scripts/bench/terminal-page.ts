// Browser entry for the terminal benchmark (bundled by scripts/bench/terminal.ts with esbuild
// and injected into a page on Quai's origin): Quai's real TerminalClient in a plain div, and
// the same in-page measurements for it and for wetty's terminal, both xterm.js instances.
import '@xterm/xterm/css/xterm.css'
import { TerminalClient } from '../../lib/terminal/client'

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

const bench = {
  client: null as TerminalClient | null,

  startQuai(options: { sandboxId: string; node: string; courseSlug: string; lessonSlug: string; session: number }): void {
    const div = document.createElement('div')
    // The size of the lesson's terminal panel on a laptop (about 80 x 25), like wetty's page here.
    div.style.cssText = 'width:680px;height:440px'
    document.body.append(div)
    bench.client = new TerminalClient({
      ...options,
      container: div,
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
    term.input(`yes 'Quai throughput: the quick brown fox jumps over the lazy dog 0123456789' | head -c ${bytes}; echo; echo ${marker}-$((1+1))\r`, true)
    const done = await until(term, `${marker}-2`, timeoutMs)
    return done ? (performance.now() - start) / 1000 : null
  },
}

;(window as unknown as { quaiBench: typeof bench }).quaiBench = bench
