import { expect, test } from 'vitest'
import { decideHint, isExercisePassed } from '../../../lib/progress/exercise-rules'

test('hints are revealed in order, one at a time, and asking again is harmless', () => {
  expect(decideHint(0, 0, 3)).toEqual({ action: 'reveal', revealedAfter: 1 })
  expect(decideHint(1, 1, 3)).toEqual({ action: 'reveal', revealedAfter: 2 })
  expect(decideHint(2, 1, 3)).toEqual({ action: 'already', revealedAfter: 2 })
  expect(decideHint(2, 0, 3)).toEqual({ action: 'already', revealedAfter: 2 })
  expect(decideHint(0, 2, 3)).toEqual({ action: 'out-of-order', expected: 0 })
  expect(decideHint(1, 3, 3)).toEqual({ action: 'no-such-hint', count: 3 })
  expect(decideHint(0, -1, 3)).toEqual({ action: 'no-such-hint', count: 3 })
  expect(decideHint(0, 0.5, 3)).toEqual({ action: 'no-such-hint', count: 3 })
  expect(decideHint(0, 0, 0)).toEqual({ action: 'no-such-hint', count: 0 })
})

test('an exercise passes when it had assertions and all passed', () => {
  expect(isExercisePassed({ passedCount: 3, totalCount: 3 })).toBe(true)
  expect(isExercisePassed({ passedCount: 2, totalCount: 3 })).toBe(false)
  expect(isExercisePassed({ passedCount: 0, totalCount: 0 })).toBe(false)
})

test('a public exercise carries no solution, setup, hint text, nor check internals', async () => {
  const { toPublicExercise } = await import('../../../lib/checks/public')
  const { exerciseSchema } = await import('../../../lib/content/schema')
  const exercise = exerciseSchema.parse({
    id: 'secret-ex', title: 'Un exercice', instructions: 'Faites **ceci** puis cela.', hints: ['indice un', 'indice deux'],
    solution: 'docker run --name SOLUTION-MARKER', setup: 'echo SETUP-MARKER',
    checks: [
      { kind: 'command', run: 'echo RUN-MARKER', stdout: 'EXPECTED-MARKER' },
      { kind: 'script', label: 'le script vérifie', run: 'test SCRIPT-MARKER' },
      { kind: 'container', name: 'web', env: { TOKEN: 'ENV-MARKER' } },
    ],
  })
  const pub = toPublicExercise(exercise)
  expect(JSON.stringify(pub)).not.toMatch(/MARKER|indice/)
  expect(pub.hintCount).toBe(2)
  expect(pub.checks.map((c) => [c.kind, c.runsCommand, c.label, c.summary.key])).toEqual([
    ['command', true, null, 'command'],
    ['script', true, 'le script vérifie', 'script'],
    ['container', false, null, 'container'],
  ])
})
