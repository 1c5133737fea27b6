// Output that can never be seen. When a flood (`yes`, `cat` of a big log) arrives faster than
// xterm can parse it, the lines that would scroll past the scrollback before anyone could see
// them need not be parsed at all: dropping them leaves exactly the screen, scrollback and cursor
// that parsing them would have left. That holds for plain text (printable ASCII, tab, CR, LF)
// followed by enough complete lines: the first CR after the cut puts the cursor in the same
// column either way, at most `rows` line feeds bring it to the same bottom row, and the next
// `scrollback + rows` line feeds replace every row the two ways could differ in. One state breaks
// it: top and bottom margins (DECSTBM) with the cursor below them, where line feeds stop
// scrolling; the margins are tracked from the parser and nothing is dropped while they are set.
// tests/unit/terminal/unseen-output.test.ts checks the equivalence on a real xterm.

type Disposable = { dispose: () => void }
type BufferType = 'normal' | 'alternate'

/** What is needed of an xterm Terminal (the browser's, or @xterm/headless's in tests). */
export type ParsingTerminal = {
  readonly rows: number
  readonly options: { readonly scrollback?: number }
  readonly buffer: { readonly active: { readonly type: BufferType }; onBufferChange: (listener: (buffer: { readonly type: BufferType }) => void) => Disposable }
  readonly parser: {
    registerCsiHandler: (id: { intermediates?: string; final: string }, callback: (params: (number | number[])[]) => boolean) => Disposable
    registerEscHandler: (id: { intermediates?: string; final: string }, handler: () => boolean) => Disposable
  }
}

const CR = 0x0d
const LF = 0x0a
const TAB = 0x09

function isPlain(byte: number): boolean {
  return (byte >= 0x20 && byte <= 0x7e) || byte === LF || byte === CR || byte === TAB
}

/** What droppable() needs of a chunk of output, computed once when it arrives. */
export type OutputSummary = {
  /** Bytes of plain text at its start (all of it, or up to the first other byte). */
  plain: number
  /** Complete lines (CR LF) within those. */
  lines: number
  startsWithLF: boolean
  plainEndsWithCR: boolean
}
export type SummarizedOutput = { data: Uint8Array; summary: OutputSummary }

export function summarizeOutput(data: Uint8Array): OutputSummary {
  let lines = 0
  let previous = 0
  let i = 0
  for (; i < data.length; i++) {
    const byte = data[i]!
    if (!isPlain(byte)) break
    if (byte === LF && previous === CR) lines++
    previous = byte
  }
  return { plain: i, lines, startsWithLF: data[0] === LF, plainEndsWithCR: i > 0 && data[i - 1] === CR }
}

/** xterm's default scrollback, when the terminal sets none. */
const defaultScrollback = 1000

export class UnseenOutput implements Disposable {
  /** Margins narrower than the screen, per buffer (each buffer has its own). */
  private readonly margins: Record<BufferType, boolean> = { normal: false, alternate: false }
  private readonly disposables: Disposable[]

  constructor(private readonly terminal: ParsingTerminal) {
    const active = () => terminal.buffer.active.type
    const parser = terminal.parser
    // Each handler returns false: xterm's own handler still runs after it.
    this.disposables = [
      // DECSTBM, CSI top ; bottom r, read as xterm's setScrollRegion reads it.
      parser.registerCsiHandler({ final: 'r' }, (params) => {
        const rows = terminal.rows
        const number = (p: number | number[] | undefined) => (typeof p === 'number' ? p : 0)
        const top = number(params[0]) || 1
        const asked = number(params[1])
        const bottom = params.length < 2 || asked > rows || asked === 0 ? rows : asked
        if (bottom > top) this.margins[active()] = !(top === 1 && bottom === rows)
        return false
      }),
      // DECSTR (soft reset) restores full margins on the active buffer, RIS on both.
      parser.registerCsiHandler({ intermediates: '!', final: 'p' }, () => {
        this.margins[active()] = false
        return false
      }),
      parser.registerEscHandler({ final: 'c' }, () => {
        this.margins.normal = false
        this.margins.alternate = false
        return false
      }),
      // Leaving the alternate screen clears it, margins included.
      terminal.buffer.onBufferChange((buffer) => {
        if (buffer.type === 'normal') this.margins.alternate = false
      }),
    ]
  }

  /** Complete lines that must stay after a cut so that everything before it has scrolled away. */
  linesToKeep(): number {
    return (this.terminal.options.scrollback ?? defaultScrollback) + 2 * this.terminal.rows + 1
  }

  /**
   * How many bytes at the head of `waiting` (output the terminal has not parsed yet, in order,
   * right after everything it has parsed) can be dropped without changing what it will show.
   * `more`: the head is plain text up to its end, so more output could make more droppable;
   * false once margins or a byte other than plain text stop it.
   */
  droppable(waiting: readonly SummarizedOutput[]): { bytes: number; more: boolean } {
    if (this.margins[this.terminal.buffer.active.type]) return { bytes: 0, more: false }
    const keep = this.linesToKeep()
    let lines = 0
    let more = true
    let previousEndsWithCR = false
    for (const { data, summary } of waiting) {
      lines += summary.lines + (previousEndsWithCR && summary.startsWithLF ? 1 : 0)
      if (summary.plain < data.length) {
        more = false
        break
      }
      previousEndsWithCR = summary.plainEndsWithCR
    }
    if (lines <= keep) return { bytes: 0, more }
    // The cut goes right after the line that leaves `keep` lines behind it.
    let toSkip = lines - keep
    let offset = 0
    previousEndsWithCR = false
    for (const { data, summary } of waiting) {
      const here = summary.lines + (previousEndsWithCR && summary.startsWithLF ? 1 : 0)
      if (here >= toSkip) {
        let previous = previousEndsWithCR ? CR : 0
        for (let i = 0; i < summary.plain; i++) {
          const byte = data[i]!
          if (byte === LF && previous === CR && --toSkip === 0) return { bytes: offset + i + 1, more }
          previous = byte
        }
      }
      toSkip -= here
      offset += data.length
      previousEndsWithCR = summary.plainEndsWithCR
    }
    return { bytes: 0, more }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose()
  }
}
