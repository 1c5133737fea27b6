// What the benchmarks do in a shell over a terminal connection (Quai's WebSocket or wetty's
// socket.io): run a command and wait for it, and time keystroke echo.
import { randomUUID } from 'node:crypto'

/** A terminal connection seen from Node: send keys, wait for the next output or for a text. */
export type TerminalLine = { send: (text: string) => void; nextData: () => Promise<void>; waitFor: (needle: string, timeoutMs: number) => Promise<void> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs a command and waits for its marker ("$((40+2))" so that the typed echo cannot match). */
export async function runIn(line: TerminalLine, command: string, timeoutMs = 30_000) {
  const marker = `MK${randomUUID().slice(0, 8)}`
  const waiting = line.waitFor(`${marker}-42`, timeoutMs)
  line.send(`${command}; echo ${marker}-$((40+2))\r`)
  await waiting
}

/** `n` keystrokes, each timed until its echo arrives, after 20 to warm up. */
export async function measureEcho(line: TerminalLine, n: number): Promise<number[]> {
  // cat in raw mode: every key is read and written back by a process, one byte each way.
  const ready = line.waitFor('ECHO-READY-2', 20_000)
  line.send('stty raw -echo isig; echo ECHO-READY-$((1+1)); cat\r')
  await ready
  await sleep(300)
  for (let i = 0; i < 20; i++) {
    const got = line.nextData()
    line.send('w')
    await got
  }
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const got = line.nextData()
    const start = performance.now()
    line.send('a')
    await got
    times.push(performance.now() - start)
  }
  line.send('\x03')
  await sleep(300)
  await runIn(line, 'stty sane')
  return times
}
