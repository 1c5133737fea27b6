import { Terminal } from '@xterm/headless'
import { describe, expect, it } from 'vitest'
import {
  acknowledgeOnArrivalBytes,
  feedSliceBytes,
  floodFeedEveryMs,
  floodFrameBytes,
  interruptUnpacedMs,
  learnerScrollback,
  OutputFeed,
  type FeedTimers,
} from '../../../lib/terminal/unseen-output'
import { chunksOf, encoder, newTerminal, random, size, snapshot, stream, write } from './xterm-streams'

// The browser terminal's queue (OutputFeed, lib/terminal/unseen-output.ts) in front of a real
// xterm: it drops what can never be seen, whatever the amount waiting, and after an interrupt
// key (Ctrl-C) it feeds the flood's end and the prompt as fast as xterm parses, never once per
// frame. Either way the terminal ends as if it had parsed every byte.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A terminal that counts what it is given to parse. */
function countingTerminal() {
  const term = newTerminal()
  const parsed = { bytes: 0 }
  const write = term.write.bind(term)
  const counted = Object.assign(term, {
    write: (data: Uint8Array, callback: () => void) => {
      parsed.bytes += data.byteLength
      write(data, callback)
    },
  })
  return { term: counted as Terminal & { write: (data: Uint8Array, callback: () => void) => void }, parsed }
}

/** Real timers, with the frame pacing recorded (how many times xterm waited for the next frame). */
function recordingTimers(clock?: { now: number }) {
  const paces: number[] = []
  const timers: FeedTimers = {
    set: (callback, ms) => {
      paces.push(ms)
      return setTimeout(callback, ms)
    },
    clear: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
    now: () => clock?.now ?? performance.now(),
  }
  return { timers, paces }
}

async function idle(feed: { backlog: number }) {
  for (let i = 0; feed.backlog > 0; i++) {
    if (i > 2000) throw new Error(`the feed never emptied (${feed.backlog} bytes left)`)
    await sleep(2)
  }
}

/**
 * The learner's terminal (120 columns, its scrollback) behind a feed whose frames come when the
 * test says (frameComes: returns what xterm was given to parse in that frame).
 */
function learnerTerminalByFrames() {
  const term = new Terminal({ cols: 120, rows: 30, scrollback: learnerScrollback, allowProposedApi: true })
  const counts = { handed: 0, parsed: 0, done: 0 }
  const parser = Object.assign(term, {
    write: (data: Uint8Array, callback: () => void) => {
      counts.handed += data.byteLength
      Terminal.prototype.write.call(term, data, () => {
        counts.parsed += data.byteLength
        callback()
      })
    },
  }) as Terminal & { write: (data: Uint8Array, callback: () => void) => void }
  let nextFrame: (() => void) | null = null
  const timers: FeedTimers = { set: (callback) => (nextFrame = callback), clear: () => (nextFrame = null), now: () => 0 }
  const feed = new OutputFeed(parser, (_tag, bytes) => (counts.done += bytes), timers)
  const settle = async () => {
    for (let i = 0; counts.parsed < counts.handed; i++) {
      if (i > 1000) throw new Error('xterm never finished parsing')
      await sleep(1)
    }
  }
  const frameComes = async () => {
    const frameDue = nextFrame as (() => void) | null
    nextFrame = null
    const before = counts.handed
    frameDue?.()
    await settle()
    return counts.handed - before
  }
  return { term, feed, counts, settle, frameComes }
}

const lines = (text: string, count: number) => encoder.encode(`${text}\r\n`.repeat(count))
const keep = size.scrollback + 2 * size.rows + 1

describe('output feed', () => {
  it('ends with the same screen, scrollback and cursor as parsing every byte, with interrupts at random moments, over 40 generated shell streams', async () => {
    let parsedInAll = 0
    let receivedInAll = 0
    for (let seed = 1; seed <= 40; seed++) {
      const data = encoder.encode(stream(seed))
      const next = random(seed * 104_729)
      const everything = newTerminal()
      for (const chunk of chunksOf(data, next)) await write(everything, chunk)

      const { term, parsed } = countingTerminal()
      let done = 0
      const feed = new OutputFeed<number>(term, (tag, bytes) => {
        expect(tag).toBe(seed)
        done += bytes
      })
      for (const chunk of chunksOf(data, next)) {
        feed.push(chunk, seed)
        const r = next()
        if (r < 0.05) feed.interrupt()
        else if (r < 0.15) await sleep(Math.floor(next() * 3))
      }
      await idle(feed)
      expect(snapshot(term), `stream ${seed} (${parsed.bytes} of ${data.length} bytes parsed)`).toEqual(snapshot(everything))
      // Every byte is reported once, parsed or dropped: the client acknowledges it to the server.
      expect(done).toBe(data.length)
      parsedInAll += parsed.bytes
      receivedInAll += data.length
      feed.dispose()
    }
    // The equivalence must not come from parsing everything.
    expect(receivedInAll - parsedInAll).toBeGreaterThan(500_000)
  }, 120_000)

  it('drops a single frame of short lines down to what the screen and scrollback keep, however small the frame', async () => {
    // 20,000 lines in 60 kB, less than a slice: xterm used to parse every one of them.
    const frame = lines('y', 20_000)
    expect(frame.byteLength).toBeLessThan(feedSliceBytes)
    const everything = newTerminal()
    await write(everything, frame)
    const { term, parsed } = countingTerminal()
    const feed = new OutputFeed(term, () => {})
    feed.push(frame, null)
    await idle(feed)
    expect(parsed.bytes).toBe(keep * 3)
    expect(snapshot(term)).toEqual(snapshot(everything))
  })

  it('after Ctrl-C, feeds the end of a flood and the prompt as fast as xterm parses, not once per frame', async () => {
    const chunk = lines('y', 20_000)
    const prompt = encoder.encode('^C\r\nroot@node1:~# ')
    const everything = newTerminal()
    const { term } = countingTerminal()
    const { timers, paces } = recordingTimers()
    const feed = new OutputFeed(term, () => {}, timers)
    // A flood: frames arrive while xterm parses, more than a slice waits, xterm gets one slice per frame.
    for (let i = 0; i < 20; i++) feed.push(chunk, null)
    for (let i = 0; i < 20; i++) await write(everything, chunk)
    await sleep(3 * floodFeedEveryMs)
    expect(paces.length).toBeGreaterThan(0)

    const before = paces.length
    feed.interrupt()
    const start = performance.now()
    for (let i = 0; i < 20; i++) feed.push(chunk, null)
    feed.push(prompt, null)
    for (let i = 0; i < 20; i++) await write(everything, chunk)
    await write(everything, prompt)
    await idle(feed)
    expect(paces.length - before, 'frames waited for after Ctrl-C').toBe(0)
    expect(performance.now() - start).toBeLessThan(interruptUnpacedMs)
    expect(snapshot(term)).toEqual(snapshot(everything))
    const buffer = term.buffer.active
    expect(buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true).trimEnd()).toBe('root@node1:~#')
    feed.dispose()
  })

  it('in the learner terminal, a flood is dropped while still acknowledged on arrival, xterm parses a few screens of it per frame, and the prompt after it shows at once, on the screen every byte would leave', async () => {
    // The learner's terminal, 120 columns wide. The head of a flood can be dropped once a
    // scrollback's worth of lines waits behind it (620 kB here). Were acks on arrival to stop
    // before that, the server would pause at its window and wait for acks that come only once
    // the page has the lines the pause holds back.
    const { term, feed, counts, settle, frameComes } = learnerTerminalByFrames()
    const frame = lines('y'.repeat(120), Math.floor((64 * 1024) / 122))
    let largestBacklog = 0
    let framesArrived = 0
    const arrive = (frames: number) => {
      for (let k = 0; k < frames; k++) {
        feed.push(frame, null)
        framesArrived++
        largestBacklog = Math.max(largestBacklog, feed.backlog)
      }
    }
    const parsedPerFrame: number[] = []
    let waitingBeforeFirstDrop: number | null = null
    let framesAfterDrop = 0
    for (let i = 0; i < 40 && framesAfterDrop < 5; i++) {
      // 512 kB per frame, arriving while xterm parses and before the next frame: a flood.
      arrive(4)
      await settle()
      arrive(4)
      parsedPerFrame.push(await frameComes())
      if (counts.done === counts.parsed) continue
      waitingBeforeFirstDrop ??= largestBacklog
      framesAfterDrop++
    }
    expect(counts.done - counts.parsed, 'bytes dropped unseen').toBeGreaterThan(0)
    expect(waitingBeforeFirstDrop, 'most output waiting before the first drop').toBeLessThan(acknowledgeOnArrivalBytes)
    // What xterm would parse beyond a few screens per frame is dropped at the next: it gets a
    // slice of the chunk at the head, not the whole 64 kB (530 lines here, a frame's work wasted).
    expect(Math.max(...parsedPerFrame)).toBeLessThanOrEqual(floodFrameBytes)
    expect(floodFrameBytes).toBeLessThan(frame.byteLength)
    // Between two frames (xterm idle, the next frame not come yet), what arrives beyond a
    // scrollback's worth is dropped and acknowledged at once, not at the next frame.
    await settle()
    const doneBeforeArrivals = counts.done
    arrive(8)
    expect(counts.done - doneBeforeArrivals, 'bytes dropped on arrival, between frames').toBeGreaterThanOrEqual(7 * frame.byteLength)

    // The flood ends with the prompt. A scrollback's worth of lines still waits (five slices):
    // nothing more arrives, so xterm parses it at once instead of a slice per frame.
    feed.push(encoder.encode('root@node1:~# '), null)
    await settle()
    await frameComes()
    await frameComes()
    expect(feed.backlog, 'output still waiting two frames after the flood ended').toBe(0)
    const buffer = term.buffer.active
    expect(buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true).trimEnd()).toBe('root@node1:~#')
    expect(buffer.length).toBe(learnerScrollback + 30)
    const everything = new Terminal({ cols: 120, rows: 30, scrollback: learnerScrollback, allowProposedApi: true })
    for (let k = 0; k < framesArrived; k++) await write(everything, frame)
    await write(everything, encoder.encode('root@node1:~# '))
    expect(snapshot(term)).toEqual(snapshot(everything))
    feed.dispose()
  })

  it('paces a flood again once the interrupt is a second old', async () => {
    const clock = { now: 0 }
    const { term } = countingTerminal()
    const { timers, paces } = recordingTimers(clock)
    const feed = new OutputFeed(term, () => {}, timers)
    feed.interrupt()
    for (let i = 0; i < 20; i++) feed.push(lines('y', 20_000), null)
    await idle(feed)
    expect(paces).toEqual([])
    clock.now = interruptUnpacedMs
    for (let i = 0; i < 20; i++) feed.push(lines('y', 20_000), null)
    await idle(feed)
    expect(paces.length).toBeGreaterThan(0)
    expect(paces.every((ms) => ms === floodFeedEveryMs)).toBe(true)
    feed.dispose()
  })

  it('paces a flood of long lines too, though a scrollback of them is more than the feed waits for, once their head is dropped as it arrives', async () => {
    // 5,061 lines of 400 bytes (2 MB) must stay behind a cut, more than floodWaitBytes.
    const { feed, counts, settle, frameComes } = learnerTerminalByFrames()
    const chunk = lines('z'.repeat(398), Math.floor((64 * 1024) / 400))
    const parsedPerFrame: number[] = []
    for (let i = 0; i < 20; i++) {
      // Output arrives while xterm parses, and again before the next frame: a flood.
      for (let k = 0; k < 40; k++) feed.push(chunk, null)
      await settle()
      for (let k = 0; k < 40; k++) feed.push(chunk, null)
      parsedPerFrame.push(await frameComes())
    }
    expect(counts.done - counts.parsed, 'bytes dropped unseen').toBeGreaterThan(0)
    expect(Math.max(...parsedPerFrame.slice(-10))).toBeLessThanOrEqual(floodFrameBytes)
    feed.dispose()
  })
})
