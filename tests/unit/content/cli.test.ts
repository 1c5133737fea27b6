// The commands authors and the build run: `npm run content:check` and `npm run build`, as
// processes, on the fixtures' valid and broken content.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..', '..', '..')
const fixtures = path.join(root, 'tests', 'fixtures')

function npmRun(script: string, contentDir: string) {
  const result = spawnSync('npm', ['run', '-s', script], {
    cwd: root,
    env: { ...process.env, QUAI_CONTENT_DIR: contentDir, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

// Each spawns npm and tsx (seconds each, more on a loaded machine): vitest's 5 s default is too tight.
describe('npm run content:check', { timeout: 60_000 }, () => {
  it('exits 0 on valid content and ends with the summary line', () => {
    const run = npmRun('content:check', path.join(fixtures, 'content'))
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout.trim().split('\n').at(-1)).toBe('content: 1 courses, 3 lessons, 2 exercises, 5 quiz questions, 1 open questions')
  })

  it('exits 1 on broken content, one line per problem with its file and field, then the summary', () => {
    const broken = path.join(fixtures, 'content-broken')
    const run = npmRun('content:check', broken)
    expect(run.status).toBe(1)
    const lines = run.stderr.split('\n')
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/frontmatter\/lesson\.mdx: duration: /))
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/quiz\/quiz\.yaml: questions\[0\]\.answer: /))
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/exercices\/exercises\.yaml: exercises\[0\].*\.checks\[1\]\.drivr: /))
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/motifs\/exercises\.yaml: exercises\[0\].*\.checks\[0\]\.stdout\.matches: pattern \/\(a\+\)\+\$\/m can backtrack catastrophically/))
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/partage-absent\/lesson\.mdx: sharedWorkspace\[0\]: no shared folder "absent": .*shared\/absent\/ does not exist/))
    expect(lines).toContainEqual(expect.stringMatching(/courses\/bad\/partage-chemin\/lesson\.mdx: sharedWorkspace\[0\]: must be the name of a folder of content\/shared\//))
    expect(run.stderr).toMatch(/\d+ problems found/)
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^content: \d+ courses, \d+ lessons, \d+ exercises, \d+ quiz questions, \d+ open questions$/)
  })
})

describe('npm run build', { timeout: 60_000 }, () => {
  it('stops on broken content before building anything, naming the problems', () => {
    const run = npmRun('build', path.join(fixtures, 'content-broken'))
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/courses\/bad\/frontmatter\/lesson\.mdx: duration: /)
    expect(run.stdout + run.stderr).not.toMatch(/Creating an optimized production build/)
  })
})
