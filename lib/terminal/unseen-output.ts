// Output that can never be seen. When a flood (`yes`, `cat` of a big log) arrives faster than
// xterm can parse it, the lines that would scroll past the scrollback before anyone could see
// them need not be parsed at all: dropping them leaves exactly the screen, scrollback and cursor
// that parsing them would have left. That holds for plain text (printable ASCII, tab, CR, LF)
// followed by enough complete lines: the first CR after the cut puts the cursor in the same
// column either way, at most `rows` line feeds bring it to the same bottom row, and the next
// `scrollback + rows` line feeds replace every row the two ways could differ in. One state breaks
// it: top and bottom margins (DECSTBM) with the cursor below them, where line feeds stop
// scrolling; the margins are tracked from the parser and nothing is dropped while they are set.
// OutputFeed (below) is the queue between the socket and xterm that does the dropping.
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

/** Complete lines (CR LF) whose LF is in data[from + 1, to). */
function countLines(data: Uint8Array, from: number, to: number): number {
  let lines = 0
  for (let i = data.indexOf(LF, from + 1); i !== -1 && i < to; i = data.indexOf(LF, i + 1)) if (data[i - 1] === CR) lines++
  return lines
}

/**
 * The summaries of data[0, cut) and data[cut, end) from the whole's, for a cut right after a
 * line feed in its plain text, scanning only the shorter side: what summarizeOutput would give.
 */
export function splitSummary(data: Uint8Array, summary: OutputSummary, cut: number): [OutputSummary, OutputSummary] {
  const headLines = cut <= summary.plain - cut ? countLines(data, 0, cut) : summary.lines - countLines(data, cut, summary.plain)
  return [
    { plain: cut, lines: headLines, startsWithLF: summary.startsWithLF, plainEndsWithCR: false },
    { plain: summary.plain - cut, lines: summary.lines - headLines, startsWithLF: data[cut] === LF, plainEndsWithCR: summary.plainEndsWithCR },
  ]
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

/** What OutputFeed needs of an xterm Terminal: the parser's state, and write with a parsed callback. */
export type FeedTerminal = ParsingTerminal & { write: (data: Uint8Array, callback: () => void) => void }

/** Output handed to xterm at once; the rest waits in the feed, where unseen lines can be dropped. */
export const feedSliceBytes = 128 * 1024
/**
 * Under a flood of plain lines (more than a slice waiting, and more arriving since the last
 * frame), xterm gets one chunk per frame (what it would parse beyond is dropped at a later
 * frame, never seen) while the rest waits until a scrollback's worth of lines lets the head be
 * dropped. Once nothing more arrives, what waits is parsed as fast as xterm can, so the prompt
 * after a flood shows at once; so is plain text that has not allowed a drop by floodWaitBytes.
 */
export const floodFeedEveryMs = 16
/**
 * What xterm parses per frame under such a flood: more than a screen of lines, far less than a
 * 64 kB chunk (876 lines of `yes`, dropped unseen a frame later anyway).
 */
export const floodFrameBytes = 16 * 1024
export const floodWaitBytes = 1024 * 1024
/**
 * The browser acknowledges output on arrival while less than this waits (lib/terminal/client.ts),
 * and only once parsed or dropped beyond. A flood waits up to floodWaitBytes for a scrollback's
 * worth of lines before its head can be dropped (370 kB of 73-byte lines, 620 kB at 120
 * columns): acks that stopped before that would pause the server while the page waits for the
 * very lines the pause holds back.
 */
export const acknowledgeOnArrivalBytes = floodWaitBytes + feedSliceBytes
/** The learner's terminal keeps this many lines above the screen (terminalOptions in lib/terminal/client.ts). */
export const learnerScrollback = 5000
/** After an interrupt key, xterm is fed as fast as it parses (no frame pacing) for this long. */
export const interruptUnpacedMs = 1000

type Waiting<Tag> = SummarizedOutput & { tag: Tag }
export type FeedTimers = { set: (callback: () => void, ms: number) => unknown; clear: (timer: unknown) => void; now: () => number }
const realTimers: FeedTimers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
}

/**
 * Output received and not parsed yet, in order, handed to xterm one slice at a time, the next
 * once xterm has parsed the last. At that moment xterm's state is exactly that of the head of
 * the waiting output: the moment to drop what UnseenOutput allows, whatever the amount waiting
 * (a 64 kB frame of `yes` holds 21,000 lines, of which xterm needs the last 5,050). `onDone`
 * reports each byte once, parsed or dropped (the client acknowledges it to the server).
 *
 * An interrupt key (Ctrl-C) means the learner waits for the prompt: for interruptUnpacedMs
 * xterm is fed as soon as it has parsed the last slice, instead of once per frame, so the tail
 * of the flood and the prompt after it are parsed as they arrive. Nothing more is dropped than
 * at any other time: the screen ends the same as if every byte had been parsed.
 */
export class OutputFeed<Tag> implements Disposable {
  private readonly unseen: UnseenOutput
  private waiting: Waiting<Tag>[] = []
  private waitingBytes = 0
  /** Bytes pushed since the last feed: none means the output stopped (or the server paused it). */
  private arrivedSinceFeed = 0
  /** Output was dropped since the last feed (as it arrived, or at that feed). */
  private droppedSinceFeed = false
  private parsing = 0
  private timer: unknown = undefined
  private unpacedUntil = -Infinity
  private disposed = false

  constructor(
    private readonly terminal: FeedTerminal,
    private readonly onDone: (tag: Tag, bytes: number) => void,
    private readonly timers: FeedTimers = realTimers,
  ) {
    this.unseen = new UnseenOutput(terminal)
  }

  /** Bytes received and not parsed or dropped yet (waiting, or handed to xterm). */
  get backlog(): number {
    return this.waitingBytes + this.parsing
  }

  push(data: Uint8Array, tag: Tag): void {
    if (this.disposed) return
    this.waiting.push({ data, summary: summarizeOutput(data), tag })
    this.waitingBytes += data.byteLength
    this.arrivedSinceFeed += data.byteLength
    if (this.parsing !== 0) return
    if (this.timer === undefined) this.feed()
    // Between two frames of a flood xterm has parsed all it was given, so its state is that of
    // the head of the waiting output: what can never be seen goes now, and is acknowledged now,
    // rather than at the next frame (the server would wait for those acks meanwhile).
    else if (this.waitingBytes > feedSliceBytes) this.dropUnseen()
  }

  /** The learner typed an interrupt key: the rest of the flood and the prompt are fed at once. */
  interrupt(): void {
    this.unpacedUntil = this.timers.now() + interruptUnpacedMs
    if (this.timer === undefined || this.parsing !== 0) return
    this.timers.clear(this.timer)
    this.feed()
  }

  dispose(): void {
    this.disposed = true
    if (this.timer !== undefined) this.timers.clear(this.timer)
    this.timer = undefined
    this.unseen.dispose()
  }

  private feed() {
    this.timer = undefined
    if (this.disposed) return
    const flowing = this.arrivedSinceFeed > 0
    this.arrivedSinceFeed = 0
    const flood = this.waitingBytes > feedSliceBytes
    const { more } = this.dropUnseen()
    const dropped = this.droppedSinceFeed
    this.droppedSinceFeed = false
    const paced = flood && flowing && (dropped || (more && this.waitingBytes < floodWaitBytes))
    const sliceBytes = paced ? floodFrameBytes : feedSliceBytes
    let handed = 0
    while (this.waiting.length > 0 && handed < sliceBytes) {
      // Paced: at most floodFrameBytes, cut at a line end; a head with none goes whole (alone).
      if (paced && !this.splitHead(sliceBytes - handed) && handed > 0) break
      const output = this.waiting.shift()!
      const size = output.data.byteLength
      this.waitingBytes -= size
      this.parsing += size
      handed += size
      this.terminal.write(output.data, () => {
        this.parsing -= size
        this.onDone(output.tag, size)
        if (this.parsing !== 0 || this.timer !== undefined || this.disposed) return
        if (paced && this.timers.now() >= this.unpacedUntil) this.timer = this.timers.set(() => this.feed(), floodFeedEveryMs)
        else this.feed()
      })
    }
  }

  /**
   * The head of the waiting output cut after its last line end within `bytes` (in its plain
   * text: never inside an escape sequence), the rest left waiting behind it. False when the
   * head is longer and has no such line end.
   */
  private splitHead(bytes: number): boolean {
    const head = this.waiting[0]!
    if (head.data.byteLength <= bytes) return true
    const cut = head.data.subarray(0, Math.min(bytes, head.summary.plain)).lastIndexOf(LF) + 1
    if (cut === 0) return false
    const [headSummary, restSummary] = splitSummary(head.data, head.summary, cut)
    const rest = head.data.subarray(cut)
    head.data = head.data.subarray(0, cut)
    head.summary = headSummary
    this.waiting.splice(1, 0, { data: rest, summary: restSummary, tag: head.tag })
    return true
  }

  private dropUnseen(): { bytes: number; more: boolean } {
    const droppable = this.unseen.droppable(this.waiting)
    if (droppable.bytes > 0) {
      this.drop(droppable.bytes)
      this.droppedSinceFeed = true
    }
    return droppable
  }

  private drop(bytes: number) {
    let cut = bytes
    while (cut > 0) {
      const head = this.waiting[0]!
      const size = head.data.byteLength
      const taken = Math.min(size, cut)
      this.onDone(head.tag, taken)
      if (taken === size) this.waiting.shift()
      else {
        // droppable cuts right after a line feed in the plain text.
        head.summary = splitSummary(head.data, head.summary, taken)[1]
        head.data = head.data.subarray(taken)
      }
      this.waitingBytes -= taken
      cut -= taken
    }
  }
}
