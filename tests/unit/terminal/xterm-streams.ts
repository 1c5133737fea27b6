import { Terminal } from '@xterm/headless'

// Shared by the unseen-output tests: real xterms (@xterm/headless, the browser's parser and
// buffer), what a learner could see of one, and generated shell output.

export const size = { cols: 40, rows: 10, scrollback: 50 }
export const encoder = new TextEncoder()

export function newTerminal() {
  return new Terminal({ ...size, allowProposedApi: true })
}

export const write = (term: Terminal, data: Uint8Array) => new Promise<void>((resolve) => term.write(data, resolve))

/** Everything a learner could see or scroll to, and where the cursor is. */
export function snapshot(term: Terminal) {
  const buffer = term.buffer.active
  const lines: string[] = []
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y)
    lines.push(`${line?.isWrapped ? '~' : ' '}${line?.translateToString(false) ?? ''}`)
  }
  return { type: buffer.type, lines, cursorX: buffer.cursorX, cursorY: buffer.cursorY, baseY: buffer.baseY }
}

/** A seeded generator (mulberry32): the same streams on every run. */
export function random(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Output like a shell's: floods of plain lines, progress bars, colours, cursor moves, margins, alternate screen. */
export function stream(seed: number): string {
  const next = random(seed)
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!
  const text = (n: number) => Array.from({ length: n }, () => pick([...'abcdefghij klmnop0123456789.-_\t'])).join('')
  let out = ''
  for (let step = 0; step < 60; step++) {
    const kind = next()
    if (kind < 0.3) {
      const lines = Math.floor(next() * 400)
      for (let i = 0; i < lines; i++) out += `${text(Math.floor(next() * 90))}\r\n`
    } else if (kind < 0.4) out += `${text(5)}\r${text(3)}\r${text(8)}`
    else if (kind < 0.5) out += `\x1b[3${Math.floor(next() * 8)}m${text(12)}\x1b[0m\r\n`
    else if (kind < 0.6) out += `\x1b[${1 + Math.floor(next() * 12)};${1 + Math.floor(next() * 45)}H${text(6)}`
    // Margins, sometimes with the cursor put below them (where line feeds stop scrolling).
    else if (kind < 0.67) out += pick(['\x1b[3;7r', '\x1b[1;4r', '\x1b[r', '\x1b[2;10r', '\x1b[1;10r']) + pick(['', '\x1b[10;1H', '\x1b[9;1H'])
    else if (kind < 0.72) out += pick(['\x1b[?1049h', '\x1b[?1049l'])
    else if (kind < 0.77) out += pick(['\x1b[4h', '\x1b[4l', '\x1b[K', '\x1b[2J', '\x1b[?7l', '\x1b[?7h'])
    else if (kind < 0.8) out += pick(['\x1bc', '\x1b[!p'])
    else if (kind < 0.9) out += `${text(20)}\n${text(20)}\n`
    else out += `\x1b[A\x1b[A${text(10)}\r\n`
  }
  return out
}

/** Cuts `data` in chunks of 1 to 9000 bytes, as frames arrive. */
export function chunksOf(data: Uint8Array, next: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0; at < data.length; ) {
    const n = 1 + Math.floor(next() * 9000)
    chunks.push(data.subarray(at, at + n))
    at += n
  }
  return chunks
}
