import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '@/lib/db/client.server'
import { migrateDatabase } from '@/lib/db/migrate'
import type * as ClassesModule from '@/lib/classes/classes.server'
import type * as GradesModule from '@/lib/exams/grades.server'
import type * as ProgressModule from '@/lib/progress/exercises.server'
import { gradeSheetPageSize } from '@/lib/exams/grades'
import { createUser, fixtureContent, freshClient } from '../../support/progress-suite'

// The grade sheet's own page reads one page of students at a time (getGradeSheetPage): each
// page must be exactly that slice of the whole sheet (the one the CSV export writes), grades
// included, and nobody else's. No Docker: runs are recorded as the check route records them.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-grade-pages-'))
const url = `file:${path.join(dir, 'quai.db')}`
let db: Db
let classes: typeof ClassesModule
let grades: typeof GradesModule
let progress: typeof ProgressModule

beforeAll(async () => {
  process.env.QUAI_CONTENT_DIR = fixtureContent
  process.env.DATABASE_URL = url
  await migrateDatabase(url)
  db = await freshClient()
  classes = await import('@/lib/classes/classes.server')
  grades = await import('@/lib/exams/grades.server')
  progress = await import('@/lib/progress/exercises.server')
})

afterAll(async () => {
  await db.$disconnect()
  fs.rmSync(dir, { recursive: true, force: true })
})

const assertion = (passed: boolean) => ({ id: 'network:demo-net:exists', check: 0, passed, key: passed ? 'network.exists.ok' : 'network.exists.missing', params: { name: 'demo-net', suggestion: '', driver: 'bridge' } })
const check = (userId: string, exerciseId: string, passed: boolean) =>
  progress.recordAttempt({
    userId,
    courseSlug: 'demo',
    lessonSlug: 'labo',
    exerciseId,
    trigger: 'manual',
    result: { passedCount: passed ? 1 : 0, totalCount: 1, durationMs: 5, assertions: [assertion(passed)] as never },
  })

describe('the grade sheet, page by page', () => {
  it('gives each page its slice of the whole sheet, with the grades of those students only', async () => {
    const prof = { id: await createUser(db, 'instructor'), role: 'instructor' as const }
    const c = await classes.createClass(prof, { name: 'Amphi', courses: ['demo'] })
    // One more student than a page holds: the last one (by name) is alone on page 2.
    const students = Array.from({ length: gradeSheetPageSize + 1 }, (_, i) => ({ id: randomUUID(), name: `Élève ${String(i + 1).padStart(3, '0')}`, email: `p${i}-${randomUUID()}@example.test`, role: 'student' }))
    await db.user.createMany({ data: students })
    await db.classroomMember.createMany({ data: students.map((s) => ({ classroomId: c.id, userId: s.id })) })
    const first = students[0]!
    const last = students.at(-1)!
    await check(first.id, 'reseau', false)
    await check(first.id, 'reseau', true)
    await check(last.id, 'conteneur', true)

    const whole = await grades.getGradeSheet(c.id, prof)
    const one = await grades.getGradeSheetPage(c.id, prof, 1)
    const two = await grades.getGradeSheetPage(c.id, prof, 2)
    expect(one.page).toEqual({ page: 1, pages: 2, size: gradeSheetPageSize, students: students.length, offset: 0 })
    expect(two.page).toMatchObject({ page: 2, pages: 2, offset: gradeSheetPageSize })
    expect(one.columns).toEqual(whole.columns)
    expect(one.columns.map((col) => col.exerciseId)).toEqual(['reseau', 'conteneur'])
    expect(one.rows).toEqual(whole.rows.slice(0, gradeSheetPageSize))
    expect(two.rows).toEqual(whole.rows.slice(gradeSheetPageSize))

    expect(one.rows[0]).toMatchObject({ student: { id: first.id }, cells: [{ best: 100, attempts: 2 }, { best: null, attempts: 0 }], average: 50 })
    expect(two.rows).toHaveLength(1)
    expect(two.rows[0]).toMatchObject({ student: { id: last.id }, cells: [{ best: null, attempts: 0 }, { best: 100, attempts: 1 }], average: 50 })

    // A page past the end is the last one; a student is refused the sheet.
    expect((await grades.getGradeSheetPage(c.id, prof, 99)).rows).toEqual(two.rows)
    const { ClassError } = await import('@/lib/classes/errors')
    await expect(grades.getGradeSheetPage(c.id, { id: first.id, role: 'student' }, 1)).rejects.toBeInstanceOf(ClassError)
  })

  it('has one empty page for a class without students', async () => {
    const prof = { id: await createUser(db, 'instructor'), role: 'instructor' as const }
    const c = await classes.createClass(prof, { name: 'Vide', courses: ['demo'] })
    const sheet = await grades.getGradeSheetPage(c.id, prof, 1)
    expect(sheet.page).toMatchObject({ page: 1, pages: 1, students: 0 })
    expect(sheet.rows).toEqual([])
  })
})
