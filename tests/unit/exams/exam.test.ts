import { describe, expect, it } from 'vitest'
import { examInput, maxExamHours } from '@/lib/exams/api'
import { buildGradeRows, type GradeColumn } from '@/lib/exams/grades'

// Exam mode's input (one zod schema for the form and the route) and the grade sheet's arithmetic.

const fieldsOf = (raw: unknown) => {
  const parsed = examInput.safeParse(raw)
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))
}

describe('examInput', () => {
  const window = { startsAt: '2026-12-07T08:00:00+01:00', endsAt: '2026-12-07T10:00:00+01:00' }

  it('takes a window with offsets, and lessons or null for all (null by default)', () => {
    expect(examInput.parse(window)).toEqual({ ...window, lessons: null })
    expect(examInput.parse({ ...window, lessons: ['demo/labo'] }).lessons).toEqual(['demo/labo'])
  })

  it('refuses a window that ends before it starts, or lasts too long', () => {
    expect(fieldsOf({ startsAt: window.endsAt, endsAt: window.startsAt })).toEqual(['endsAt'])
    expect(fieldsOf({ ...window, endsAt: window.startsAt })).toEqual(['endsAt'])
    const tooLong = new Date(Date.parse(window.startsAt) + (maxExamHours + 1) * 3_600_000).toISOString()
    expect(fieldsOf({ ...window, endsAt: tooLong })).toEqual(['endsAt'])
  })

  it('refuses dates without offset, bad lesson keys, duplicates, an empty list and unknown fields', () => {
    expect(fieldsOf({ startsAt: '2026-12-07T08:00', endsAt: window.endsAt })).toEqual(['startsAt'])
    expect(fieldsOf({ ...window, lessons: ['demo'] })).toEqual(['lessons.0'])
    expect(fieldsOf({ ...window, lessons: ['demo/labo/x'] })).toEqual(['lessons.0'])
    expect(fieldsOf({ ...window, lessons: ['../x/labo'] })).toEqual(['lessons.0'])
    expect(fieldsOf({ ...window, lessons: ['demo/labo', 'demo/labo'] })).toEqual(['lessons'])
    expect(fieldsOf({ ...window, lessons: [] })).toEqual(['lessons'])
    expect(fieldsOf({ ...window, classId: 'other' })).toEqual([''])
  })
})

describe('buildGradeRows', () => {
  const column = (exerciseId: string): GradeColumn => ({ courseSlug: 'demo', lessonSlug: 'labo', exerciseId, title: exerciseId, lessonTitle: 'Labo', courseTitle: 'Demo' })
  const students = [
    { id: 'ada', name: 'Ada', email: 'ada@x' },
    { id: 'bob', name: 'Bob', email: 'bob@x' },
  ]

  it("puts each student's best grade and attempts in each exercise's cell; an exercise never run is empty and counts 0 in the average", () => {
    const rows = buildGradeRows([column('reseau'), column('conteneur')], students, [
      { userId: 'ada', courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', bestScore: 2 / 3, attempts: 0 },
      { userId: 'ada', courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'reseau', bestScore: null, attempts: 4 },
      { userId: 'ada', courseSlug: 'demo', lessonSlug: 'labo', exerciseId: 'conteneur', bestScore: 1, attempts: 1 },
      // Another lesson's run is no column here.
      { userId: 'bob', courseSlug: 'demo', lessonSlug: 'autre', exerciseId: 'reseau', bestScore: 1, attempts: 1 },
    ])
    expect(rows.map((r) => [r.student.name, r.cells, r.average])).toEqual([
      ['Ada', [{ best: 66.7, attempts: 4 }, { best: 100, attempts: 1 }], 83.4],
      ['Bob', [{ best: null, attempts: 0 }, { best: null, attempts: 0 }], 0],
    ])
  })

  it('has no average without columns', () => {
    expect(buildGradeRows([], students, [])[0]!.average).toBeNull()
  })
})
