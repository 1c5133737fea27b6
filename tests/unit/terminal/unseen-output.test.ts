import type { Terminal } from '@xterm/headless'
import { describe, expect, it } from 'vitest'
import { splitSummary, summarizeOutput, UnseenOutput } from '../../../lib/terminal/unseen-output'
import { chunksOf, encoder, newTerminal, random, size, snapshot, stream, write } from './xterm-streams'

// The claim of lib/terminal/unseen-output.ts, checked on a real xterm (the headless build of the
// same parser and buffer the browser runs): a terminal that drops what droppable() allows
// ends with the same screen, scrollback and cursor as one that parses every byte.

/** What the client asks: how many bytes at the head of the waiting output can go. */
const droppableBytes = (unseen: UnseenOutput, chunks: Uint8Array[]) => unseen.droppable(chunks.map((data) => ({ data, summary: summarizeOutput(data) }))).bytes

/** Feeds `chunks` as the browser does under a flood: a few arrive, then, once xterm is idle, the unseen head is dropped. */
async function feedSkipping(term: Terminal, chunks: Uint8Array[], next: () => number, drop: (pending: Uint8Array[]) => number) {
  const pending: Uint8Array[] = []
  let dropped = 0
  for (let i = 0; i < chunks.length || pending.length > 0; ) {
    const arriving = Math.floor(next() * 40)
    for (let k = 0; k < arriving && i < chunks.length; k++) pending.push(chunks[i++]!)
    let cut = drop(pending)
    dropped += cut
    while (cut > 0) {
      const head = pending[0]!
      if (head.length <= cut) {
        cut -= head.length
        pending.shift()
      } else {
        pending[0] = head.subarray(cut)
        cut = 0
      }
    }
    const slice = pending.splice(0, 1 + Math.floor(next() * 4))
    for (const chunk of slice) await write(term, chunk)
  }
  return dropped
}

describe('unseen output', () => {
  it('leaves the same screen, scrollback and cursor as parsing every byte, over 40 generated shell streams', async () => {
    let droppedInAll = 0
    let streamsWithDrops = 0
    for (let seed = 1; seed <= 40; seed++) {
      const data = encoder.encode(stream(seed))
      const next = random(seed * 7919)
      const chunks = chunksOf(data, next)
      const everything = newTerminal()
      for (const chunk of chunks) await write(everything, chunk)
      const skipping = newTerminal()
      const unseen = new UnseenOutput(skipping)
      const dropped = await feedSkipping(skipping, chunks, next, (pending) => droppableBytes(unseen, pending))
      expect(snapshot(skipping), `stream ${seed} (${dropped} of ${data.length} bytes dropped)`).toEqual(snapshot(everything))
      droppedInAll += dropped
      if (dropped > 0) streamsWithDrops++
      unseen.dispose()
    }
    // The equivalence must not come from never dropping anything.
    expect(streamsWithDrops).toBeGreaterThan(20)
    expect(droppedInAll).toBeGreaterThan(1_000_000)
  }, 120_000)

  it('drops a plain flood down to scrollback + 2 screens of lines, cut after a line end', () => {
    const term = newTerminal()
    const unseen = new UnseenOutput(term)
    const line = 'Quai throughput: the quick brown fox\r\n'
    const flood = encoder.encode(line.repeat(1000))
    const keep = unseen.linesToKeep()
    expect(keep).toBe(size.scrollback + 2 * size.rows + 1)
    expect(droppableBytes(unseen, [flood.subarray(0, 5000), flood.subarray(5000)])).toBe((1000 - keep) * line.length)
    expect(droppableBytes(unseen, [encoder.encode(line.repeat(keep))])).toBe(0)
    // An escape ends the plain head: only lines before it count.
    expect(droppableBytes(unseen, [encoder.encode(`${line.repeat(keep)}\x1b[31m${line.repeat(1000)}`)])).toBe(0)
    // Bare line feeds (raw mode) never resynchronise the column: they are not complete lines.
    expect(droppableBytes(unseen, [encoder.encode('abc\n'.repeat(1000))])).toBe(0)
    // A CR LF split between two chunks is one line, as xterm parses it.
    const split = [encoder.encode(`${'x\r\n'.repeat(keep)}x\r`), encoder.encode('\nrest')]
    expect(droppableBytes(unseen, split)).toBe(3)
    // Waiting for more output can help plain text, never text an escape has stopped.
    const summarized = (text: string) => [{ data: encoder.encode(text), summary: summarizeOutput(encoder.encode(text)) }]
    expect(unseen.droppable(summarized(line.repeat(10)))).toEqual({ bytes: 0, more: true })
    expect(unseen.droppable(summarized(`${line.repeat(10)}\x1b[0m`))).toEqual({ bytes: 0, more: false })
  })

  it('drops nothing while margins are set, where the same drop would change the screen', async () => {
    // Margins 1-4 and the cursor on the last row: line feeds no longer scroll, lines overprint.
    const setUp = encoder.encode('\x1b[1;4r\x1b[10;1H')
    // Shorter and shorter lines: the row they overprint keeps the longest one's end.
    const flood = encoder.encode(Array.from({ length: 200 }, (_, i) => `${'#'.repeat(39 - Math.floor(i / 6))}\r\n`).join(''))
    const term = newTerminal()
    const unseen = new UnseenOutput(term)
    await write(term, setUp)
    expect(droppableBytes(unseen, [flood])).toBe(0)
    // Ignoring the margins would have been wrong: the naive cut leaves another last row.
    const everything = newTerminal()
    await write(everything, setUp)
    await write(everything, flood)
    const naive = newTerminal()
    const unaware = new UnseenOutput(naive)
    await write(naive, setUp)
    await write(naive, encoder.encode('\x1b[r\x1b[10;1H'))
    const cut = droppableBytes(unaware, [flood])
    expect(cut).toBeGreaterThan(0)
    await write(naive, encoder.encode('\x1b[1;4r\x1b[10;1H'))
    await write(naive, flood.subarray(cut))
    expect(snapshot(naive)).not.toEqual(snapshot(everything))
    // Full margins again (CSI r), and the flood may be dropped again.
    await write(term, encoder.encode('\x1b[r'))
    expect(droppableBytes(unseen, [flood])).toBeGreaterThan(0)
  })

  it('tracks margins per screen: leaving the alternate screen forgets its margins, not the normal screen’s', async () => {
    const term = newTerminal()
    const unseen = new UnseenOutput(term)
    const flood = [encoder.encode('x\r\n'.repeat(500))]
    await write(term, encoder.encode('\x1b[2;5r'))
    expect(droppableBytes(unseen, flood)).toBe(0)
    await write(term, encoder.encode('\x1b[?1049h'))
    expect(droppableBytes(unseen, flood)).toBeGreaterThan(0)
    await write(term, encoder.encode('\x1b[3;6r'))
    expect(droppableBytes(unseen, flood)).toBe(0)
    await write(term, encoder.encode('\x1b[r\x1b[?1049l'))
    expect(droppableBytes(unseen, flood)).toBe(0)
    await write(term, encoder.encode('\x1bc'))
    expect(droppableBytes(unseen, flood)).toBeGreaterThan(0)
  })

  it('splits a summary at every line feed of the plain text as summarizing each side would, over 40 generated shell streams', () => {
    let cuts = 0
    for (let seed = 1; seed <= 40; seed++) {
      for (const chunk of chunksOf(encoder.encode(stream(seed)), random(seed * 31))) {
        const summary = summarizeOutput(chunk)
        for (let cut = chunk.indexOf(0x0a) + 1; cut > 0 && cut <= summary.plain; cut = chunk.indexOf(0x0a, cut) + 1) {
          expect(splitSummary(chunk, summary, cut)).toEqual([summarizeOutput(chunk.subarray(0, cut)), summarizeOutput(chunk.subarray(cut))])
          cuts++
        }
      }
    }
    expect(cuts).toBeGreaterThan(1000)
  })
})
