import 'server-only'
import { openExecStream, type ContainerRef, type ExecStream } from '../docker/exec-stream.server'
import type { ExecResult } from '../docker/exec.server'

// The resident command runner of a node (images/sandbox/quai-runner): one long-lived exec per
// node, in the learner's world, that forks each command it is sent. A new docker exec costs
// 30-60 ms of runc (more on a busy host); a fork in the runner about one. The checks' commands
// go through it. A node whose image has no runner, or whose runner the learner killed, is
// answered by a plain exec instead (RunnerUnavailableError tells the caller to do so).
//
// The runner belongs to the learner's world as much as the commands it runs: a learner can
// kill it or write to its output, as they can replace the tools a check calls. Checks read a
// learner's own sandbox for the learner; they are not a proof against that learner.

export class RunnerUnavailableError extends Error {
  /** `whileRunning`: the runner ended with the command sent, which may or may not have run. */
  constructor(reason: string, readonly whileRunning = false) {
    super(`the node's command runner is unavailable: ${reason}`)
    this.name = 'RunnerUnavailableError'
  }
}

export type RunnerCommand = {
  argv: string[]
  /** '' or undefined: the learner's lab folder. */
  workingDir?: string
  /** The runner kills the command's process group after this long; the result says timedOut. */
  deadlineMs: number
  maxOutputBytes: number
}

const greetingTimeoutMs = 5_000
/** Past this much of one answer line the runner is not speaking the protocol: it is closed. */
const maxLineBytes = 32 * 1024 * 1024
/** After a runner failed to start on a node (an image without one), plain execs for this long. */
const retryStartAfterMs = 60_000
/** How long after a sandbox is placed its runners start (warm). */
const warmAfterMs = 10_000

const hexOf = (text: string) => `x${Buffer.from(text, 'utf8').toString('hex')}`
const textOf = (field: string) => Buffer.from(field.slice(1), 'hex').toString('utf8')

type Pending = { resolve: (result: ExecResult) => void; reject: (error: Error) => void; started: number; timer: NodeJS.Timeout }

class NodeRunner {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private line = ''
  private closed = false
  /** The first line the exec printed on stderr: why it never greeted (quai-enter's or the shell's error). */
  private firstLine = ''

  private constructor(private readonly stream: ExecStream) {}

  /** Starts `command` (the runner, entered into the learner's world) and waits for its greeting. */
  static open(ref: ContainerRef, command: string[], onEnd: () => void): Promise<NodeRunner> {
    return new Promise((resolve, reject) => {
      let greeted = false
      const timer = setTimeout(() => fail(new RunnerUnavailableError(`no greeting within ${greetingTimeoutMs} ms`)), greetingTimeoutMs)
      let runner: NodeRunner | null = null
      const fail = (error: Error) => {
        clearTimeout(timer)
        runner?.close()
        reject(error)
      }
      openExecStream(ref, { cmd: command }).then((stream) => {
        runner = new NodeRunner(stream)
        const opened = runner
        stream.onEnd((error) => {
          opened.end(new RunnerUnavailableError(error ? error.message : 'it exited'))
          onEnd()
          if (!greeted) fail(new RunnerUnavailableError(`it ended before its greeting${opened.firstLine ? `: ${opened.firstLine}` : ''}`))
        })
        stream.onOutput((chunk, from) => {
          // Its stderr is for people (quai-enter's or Perl's complaint), never the protocol.
          if (from === 2) return void (opened.firstLine ||= chunk.toString('utf8').split('\n')[0]!.slice(0, 300))
          opened.receive(chunk, (line) => {
            if (greeted) return opened.answer(line)
            if (line !== 'quai-runner 1') return
            greeted = true
            clearTimeout(timer)
            resolve(opened)
          })
        })
      }, fail)
    })
  }

  get usable(): boolean {
    return !this.closed
  }

  run(command: RunnerCommand): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new RunnerUnavailableError('closed'))
    const id = this.nextId++
    const fields = [String(id), String(command.deadlineMs), String(command.maxOutputBytes), hexOf(command.workingDir ?? ''), ...command.argv.map(hexOf)]
    return new Promise((resolve, reject) => {
      // The runner's own deadline answers first; this one is for a runner that stopped answering.
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ exitCode: null, stdout: '', stderr: '', timedOut: true, truncated: false, durationMs: command.deadlineMs + 2_000 })
        this.close()
      }, command.deadlineMs + 2_000)
      this.pending.set(id, { resolve, reject, started: performance.now(), timer })
      this.stream.write(Buffer.from(`${fields.join(' ')}\n`))
    })
  }

  close(): void {
    if (this.closed) return
    this.stream.close()
    this.end(new RunnerUnavailableError('closed'))
  }

  private end(error: RunnerUnavailableError): void {
    this.closed = true
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer)
      this.pending.delete(id)
      pending.reject(new RunnerUnavailableError(error.message, true))
    }
  }

  private receive(chunk: Buffer, onLine: (line: string) => void): void {
    this.line += chunk.toString('latin1')
    let newline
    while ((newline = this.line.indexOf('\n')) >= 0) {
      const line = this.line.slice(0, newline)
      this.line = this.line.slice(newline + 1)
      onLine(line)
    }
    if (this.line.length > maxLineBytes) this.close()
  }

  private answer(line: string): void {
    const [id, exit, timedOut, truncated, stdout, stderr] = line.split(' ')
    const pending = this.pending.get(Number(id))
    if (!pending || stderr === undefined) return
    this.pending.delete(Number(id))
    clearTimeout(pending.timer)
    pending.resolve({
      exitCode: exit === '-' ? null : Number(exit),
      stdout: textOf(stdout!),
      stderr: textOf(stderr),
      timedOut: timedOut === '1',
      truncated: truncated === '1',
      durationMs: Math.round(performance.now() - pending.started),
    })
  }
}

/** The runners of one engine's nodes, by node container, started on first use. */
export class NodeRunners {
  private readonly runners = new Map<string, Promise<NodeRunner>>()
  private readonly failedAt = new Map<string, number>()
  private readonly warming = new Map<string, NodeJS.Timeout>()

  /**
   * Runs `command` in the node through its runner. Throws RunnerUnavailableError when there is
   * none (the command did not run, or its runner died under it): the caller runs a plain exec.
   */
  async run(ref: ContainerRef, runnerCommand: string[], command: RunnerCommand): Promise<ExecResult> {
    const runner = await this.runnerOf(ref, runnerCommand)
    return runner.run(command)
  }

  /**
   * Starts the node's runner in the background a few seconds from now, so that the learner's
   * first check does not pay for its exec (tens of milliseconds), and the exec does not take
   * CPU from what the learner waits for meanwhile (the sandbox's start, a resumed stack's
   * containers). A failure is left for the first run to meet.
   */
  warm(ref: ContainerRef, runnerCommand: string[]): void {
    clearTimeout(this.warming.get(ref.containerId))
    const timer = setTimeout(() => {
      this.warming.delete(ref.containerId)
      this.runnerOf(ref, runnerCommand).catch(() => undefined)
    }, warmAfterMs)
    timer.unref()
    this.warming.set(ref.containerId, timer)
  }

  /** Closes the node's runner (its container is going away). */
  forget(containerId: string): void {
    clearTimeout(this.warming.get(containerId))
    this.warming.delete(containerId)
    const runner = this.runners.get(containerId)
    this.runners.delete(containerId)
    this.failedAt.delete(containerId)
    void runner?.then((r) => r.close(), () => undefined)
  }

  private async runnerOf(ref: ContainerRef, runnerCommand: string[]): Promise<NodeRunner> {
    const failed = this.failedAt.get(ref.containerId)
    if (failed !== undefined && Date.now() - failed < retryStartAfterMs) throw new RunnerUnavailableError('it failed to start a moment ago')
    let runner = this.runners.get(ref.containerId)
    if (!runner) {
      const opening = NodeRunner.open(ref, runnerCommand, () => {
        if (this.runners.get(ref.containerId) === opening) this.runners.delete(ref.containerId)
      })
      runner = opening
      this.runners.set(ref.containerId, opening)
      opening.catch(() => {
        if (this.runners.get(ref.containerId) === opening) this.runners.delete(ref.containerId)
        this.failedAt.set(ref.containerId, Date.now())
      })
    }
    const opened = await runner
    if (!opened.usable) {
      this.runners.delete(ref.containerId)
      return this.runnerOf(ref, runnerCommand)
    }
    return opened
  }
}
