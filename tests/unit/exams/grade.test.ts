import { describe, expect, it } from 'vitest'
import { checkSchema } from '@/lib/content/check-kinds'
import { exerciseSchema } from '@/lib/content/schema'
import { gradeOf, gradePercent } from '@/lib/progress/grade'

// An exercise's grade from one run: passed assertions over all, each weighing its check's
// `weight` (exercises.yaml, 1 by default).

const a = (check: number, passed: boolean, pending = false) => ({ check, passed, ...(pending ? { pending } : {}) })

describe('gradeOf', () => {
  it('gives partial credit: passed assertions over all, unweighted by default', () => {
    expect(gradeOf([{}, {}], [a(0, true), a(0, false), a(1, true), a(1, true)])).toBe(0.75)
    expect(gradeOf([{}], [a(0, true)])).toBe(1)
    expect(gradeOf([{}], [a(0, false)])).toBe(0)
  })

  it("weighs each assertion by its check's weight", () => {
    // Check 0 (weight 1) passes, check 1 (weight 3) fails its only assertion: 1 / 4.
    expect(gradeOf([{}, { weight: 3 }], [a(0, true), a(1, false)])).toBe(0.25)
    expect(gradeOf([{ weight: 0.5 }, { weight: 1.5 }], [a(0, false), a(1, true)])).toBe(0.75)
  })

  it('counts a pending assertion (live mode) as not passed, and an empty run as 0', () => {
    expect(gradeOf([{}, {}], [a(0, true), a(1, true, true)])).toBe(0.5)
    expect(gradeOf([], [])).toBe(0)
  })

  it('rounds a grade to a percentage with one decimal', () => {
    expect(gradePercent(2 / 3)).toBe(66.7)
    expect(gradePercent(1)).toBe(100)
  })
})

describe('check weights in exercises.yaml', () => {
  it('accepts a positive weight on any check kind, also beside exists: false', () => {
    expect(checkSchema.parse({ kind: 'network', name: 'n', weight: 2 })).toMatchObject({ weight: 2 })
    expect(checkSchema.parse({ kind: 'container', name: 'web', exists: false, weight: 0.5 })).toMatchObject({ weight: 0.5 })
    expect(checkSchema.parse({ kind: 'script', label: 'x', run: 'true', weight: 10 })).toMatchObject({ weight: 10 })
  })

  it('refuses a weight that is not a positive number up to 100', () => {
    for (const weight of [0, -1, 101, '2']) {
      const parsed = checkSchema.safeParse({ kind: 'network', name: 'n', weight })
      expect(parsed.success, String(weight)).toBe(false)
      if (!parsed.success) expect(parsed.error.issues[0]!.path).toEqual(['weight'])
    }
    const exercise = { id: 'e', title: 'Titre', instructions: 'Faites ceci, puis cela.', solution: 'true', checks: [{ kind: 'network', name: 'n', weight: 0 }] }
    expect(exerciseSchema.safeParse(exercise).success).toBe(false)
  })
})
