// "One learner cannot freeze the server": patterns over learner-controlled text. Checks and
// quiz grading run in Quai's single Node process; a pattern that backtracks on a learner's
// output would hold every other request. Each case runs the real evaluation in a child process
// with a hard time limit: with V8's engine back in place, the child is killed and the test
// fails (the FROM line took 3 s at 64 KiB and about 50 s at 256 KiB; the author's pattern over
// 2 MiB of newlines about an hour). A second test watches V8's RegExp directly.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, test } from 'vitest'
import { evaluateCheck } from '@/lib/checks/evaluate'
import { emptyNodeFacts } from '@/lib/checks/facts'
import { checkSchema } from '@/lib/content/check-kinds'
import { quizSchema } from '@/lib/content/schema'
import { gradeQuiz } from '@/lib/quiz/grade.server'
import { container } from '../checks/helpers'

const root = path.resolve(import.meta.dirname, '..', '..', '..')
const moduleUrl = (file: string) => JSON.stringify(pathToFileURL(path.join(root, file)).href)
const HARD_LIMIT_MS = 10_000

/** Run `body` (JavaScript, top-level await) in a fresh Node with Quai's TypeScript loaded; killed after HARD_LIMIT_MS. */
function runIsolated(body: string): { finished: boolean; output: unknown } {
  const code = `
    const { evaluateCheck } = await import(${moduleUrl('lib/checks/evaluate/index.ts')})
    const { emptyNodeFacts } = await import(${moduleUrl('lib/checks/facts.ts')})
    const { checkSchema } = await import(${moduleUrl('lib/content/check-kinds.ts')})
    const { quizSchema } = await import(${moduleUrl('lib/content/schema.ts')})
    const { gradeQuiz } = await import(${moduleUrl('lib/quiz/grade.server.ts')})
    const result = await (async () => { ${body} })()
    process.stdout.write(JSON.stringify(result))`
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/node/register.mjs', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: HARD_LIMIT_MS,
    killSignal: 'SIGKILL',
  })
  if (child.error || child.signal) return { finished: false, output: null }
  expect(child.status, child.stderr).toBe(0)
  return { finished: true, output: JSON.parse(child.stdout) }
}

describe('patterns over learner-controlled text finish, whatever the text', () => {
  test('a Dockerfile FROM line padded with 256 KiB of spaces', { timeout: 30_000 }, () => {
    const run = runIsolated(`
      const facts = emptyNodeFacts('node1')
      const content = 'FROM node:22' + ' '.repeat(256 * 1024) + 'AS build\\nFROM nginx\\n'
      facts.probes.set('0:dockerfile', { kind: 'file', outcome: 'read', content, mtime: 0 })
      const check = checkSchema.parse({ kind: 'image', name: 'app', dockerfile: { path: 'Dockerfile', multiStage: true } })
      return evaluateCheck(check, 0, facts).filter((a) => a.id.includes('dockerfile')).map((a) => [a.id, a.passed, a.params.stages])`)
    expect(run.finished, 'the evaluation was killed after 10 s').toBe(true)
    expect(run.output).toEqual([['image:app:dockerfile:multi-stage', true, 2]])
  })

  test("an author's ^\\s*2\\s*$ (multiline) over 2 MiB of newlines, through the command check", { timeout: 30_000 }, () => {
    const run = runIsolated(`
      const check = checkSchema.parse({ kind: 'command', run: 'seq 2', stdout: { matches: '^\\\\s*2\\\\s*$' } })
      const verdict = (stdout) => {
        const facts = emptyNodeFacts('node1')
        facts.probes.set('0', { kind: 'command', exitCode: 0, stdout, stderr: '', timedOut: false })
        return evaluateCheck(check, 0, facts).find((a) => a.id === 'command:0:stdout').passed
      }
      const newlines = '\\n'.repeat(2 * 1024 * 1024)
      return [verdict(newlines), verdict(newlines + '2\\n')]`)
    expect(run.finished, 'the evaluation was killed after 10 s').toBe(true)
    // Still the right answers at that size: no 2 in the first output, a line "2" at the end of the second.
    expect(run.output).toEqual([false, true])
  })

  test('a short-answer quiz pattern that backtracks exponentially, on a 200-character answer', { timeout: 30_000 }, () => {
    const run = runIsolated(`
      const quiz = quizSchema.parse({ questions: [{ id: 'q', type: 'short', prompt: 'Combien ?', explanation: 'Parce que.', accept: [{ pattern: '^(a|a)*$' }] }] })
      return [gradeQuiz(quiz, { q: 'a'.repeat(199) + '!' }).results[0].correct, gradeQuiz(quiz, { q: 'a'.repeat(200) }).results[0].correct]`)
    expect(run.finished, 'the grading was killed after 10 s').toBe(true)
    expect(run.output).toEqual([false, true])
  })
})

describe("an author's pattern never reaches V8's backtracking engine", () => {
  // RegExp.prototype.test and String.prototype.match call `exec` through the prototype: a
  // wrapper there sees every pattern V8 runs. The spy is removed before any assertion.
  function patternsRunByV8(run: () => void): string[] {
    const seen: string[] = []
    const exec = RegExp.prototype.exec
    RegExp.prototype.exec = function (this: RegExp, text: string) {
      seen.push(this.source)
      return exec.call(this, text)
    }
    try {
      run()
    } finally {
      RegExp.prototype.exec = exec
    }
    return seen
  }

  test('in checks (command output, files, HTTP bodies and headers, labels) and in quiz answers', () => {
    const pattern = 'quai-(ok|fine)+\\s*$'
    const checks = [
      { kind: 'command', run: 'x', stdout: { matches: pattern } },
      { kind: 'file', path: 'f', matches: [pattern] },
      { kind: 'http', url: 'http://x/', body: { matches: pattern }, responseHeaders: { server: { matches: pattern } } },
      { kind: 'container', name: 'web', labels: { tier: { matches: pattern } }, env: { APP_ENV: { matches: pattern } } },
    ].map((c) => checkSchema.parse(c))
    const facts = emptyNodeFacts('node1')
    facts.probes.set('0', { kind: 'command', exitCode: 0, stdout: 'quai-ok\n', stderr: '', timedOut: false })
    facts.probes.set('1', { kind: 'file', outcome: 'read', content: 'quai-fine', mtime: 0 })
    facts.probes.set('2', { kind: 'http', outcome: 'done', status: 200, headers: { server: 'quai-ok' }, body: 'quai-ok' })
    facts.containers.set('web', { ...container('web'), labels: { tier: 'quai-ok' }, env: { APP_ENV: 'quai-fine' } })
    const quiz = quizSchema.parse({ questions: [{ id: 'q', type: 'short', prompt: 'Quoi ?', explanation: 'Parce que.', accept: [{ pattern }] }] })

    let passed: boolean[] = []
    const seen = patternsRunByV8(() => {
      const lines = checks.flatMap((check, i) => evaluateCheck(check, i, facts))
      passed = lines.filter((a) => /:(stdout|matches|body|header|label|env):?/.test(a.id)).map((a) => a.passed)
      passed.push(gradeQuiz(quiz, { q: 'QUAI-OK' }).results[0]!.correct)
    })
    // stdout, file, body, header, label, env, quiz answer: each pattern ran, and matched.
    expect(passed).toEqual([true, true, true, true, true, true, true])
    expect(seen).not.toContain(pattern)
  })
})
