import 'server-only'
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { SessionUser } from '../auth/session.server'
import type { OpenQuestion } from '../content/open-questions'
import type { LessonRecord } from '../content/load.server'
import { getDb } from '../db/client.server'
import { classesFollowing } from '../quiz/following-classes.server'
import { openApi, type OpenAnswerStatus, type OwnAnswerAnswer, type OwnAnswerView, type SaveAnswerFields } from './api'
import { OpenAnswerError } from './errors'
import { checkContent, lockOf, normaliseText } from './rules'
import { safeFileName, sniffFile } from './sniff'

// A learner's own answers to a lesson's open questions: read on the lesson page, saved as a
// draft or handed in through the API. Every read and write is scoped by the learner's id from
// the session: there is no way to name someone else's answer here.

export type UploadedFile = { name: string; bytes: Uint8Array }

const storedExamLessons = z.array(z.string()).nullable()

/**
 * Whether an exam of one of the learner's classes covering this lesson is over: its answers are
 * then locked, until the instructor removes the exam. Instructors are never in an exam.
 */
export async function examOverFor(user: Pick<SessionUser, 'id' | 'role'>, courseSlug: string, lessonSlug: string, now = new Date()): Promise<boolean> {
  if (user.role !== 'student') return false
  const key = `${courseSlug}/${lessonSlug}`
  return (await classesFollowing(user.id, courseSlug)).some((row) => {
    if (!row.examStartsAt || !row.examEndsAt || row.examEndsAt > now) return false
    let lessons: string[] | null = null
    try {
      lessons = row.examLessons === null ? null : storedExamLessons.parse(JSON.parse(row.examLessons))
    } catch {
      lessons = null
    }
    return lessons === null || lessons.includes(key)
  })
}

/** What a learner reads of their own answer (grading.server.ts adds whose it is). */
export const answerSelect = {
  id: true,
  questionId: true,
  status: true,
  text: true,
  submittedAt: true,
  submissions: true,
  updatedAt: true,
  criteria: true,
  points: true,
  maxPoints: true,
  feedback: true,
  gradedAt: true,
  resubmitAllowed: true,
  gradedBy: { select: { name: true } },
  file: { select: { name: true, contentType: true, size: true } },
} as const

type AnswerRow = {
  id: string
  questionId: string
  status: string
  text: string
  submittedAt: Date | null
  submissions: number
  updatedAt: Date
  criteria: unknown
  points: number | null
  maxPoints: number | null
  feedback: string | null
  gradedAt: Date | null
  resubmitAllowed: boolean
  gradedBy: { name: string } | null
  file: { name: string; contentType: string; size: number } | null
}

const criteriaSchema = z.record(z.string(), z.number())
export const statusOf = (status: string): OpenAnswerStatus => (status === 'submitted' || status === 'graded' ? status : 'draft')

export function gradeViewOf(row: Pick<AnswerRow, 'criteria' | 'points' | 'maxPoints' | 'feedback' | 'gradedAt' | 'gradedBy'>) {
  if (row.gradedAt === null || row.points === null || row.maxPoints === null) return null
  const criteria = criteriaSchema.safeParse(row.criteria)
  return { criteria: criteria.success ? criteria.data : {}, points: row.points, maxPoints: row.maxPoints, feedback: row.feedback ?? '', gradedBy: row.gradedBy?.name ?? null, gradedAt: row.gradedAt.toISOString() }
}

export const fileViewOf = (answerId: string, file: AnswerRow['file']) => (file ? { ...file, url: openApi.file(answerId) } : null)

function ownView(row: AnswerRow, examOver: boolean): OwnAnswerView {
  const status = statusOf(row.status)
  const lockedReason = lockOf({ status, resubmitAllowed: row.resubmitAllowed }, examOver)
  return {
    id: row.id,
    status,
    text: row.text,
    file: fileViewOf(row.id, row.file),
    submittedAt: row.submittedAt?.toISOString() ?? null,
    submissions: row.submissions,
    updatedAt: row.updatedAt.toISOString(),
    grade: gradeViewOf(row),
    editable: lockedReason === null,
    lockedReason,
  }
}

/** The learner's answers to the lesson's open questions, by question id (none: no key), for the lesson page. */
export async function ownAnswers(user: Pick<SessionUser, 'id' | 'role'>, lesson: Pick<LessonRecord, 'courseSlug' | 'slug' | 'openQuestions'>): Promise<{ answers: Record<string, OwnAnswerView>; examOver: boolean }> {
  if (lesson.openQuestions.length === 0) return { answers: {}, examOver: false }
  const db = await getDb()
  const [rows, examOver] = await Promise.all([
    db.openAnswer.findMany({ where: { userId: user.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug }, select: answerSelect }),
    examOverFor(user, lesson.courseSlug, lesson.slug),
  ])
  return { answers: Object.fromEntries(rows.map((row) => [row.questionId, ownView(row, examOver)])), examOver }
}

export function requireOpenQuestion(lesson: Pick<LessonRecord, 'openQuestions'> | null, questionId: string): OpenQuestion {
  const question = lesson?.openQuestions.find((q) => q.id === questionId)
  if (!question) throw new OpenAnswerError('open_question_not_found', 'no open question with this id in this lesson')
  return question
}

export async function ownAnswer(user: Pick<SessionUser, 'id' | 'role'>, lesson: Pick<LessonRecord, 'courseSlug' | 'slug' | 'openQuestions'>, questionId: string): Promise<OwnAnswerAnswer> {
  requireOpenQuestion(lesson, questionId)
  const db = await getDb()
  const [row, examOver] = await Promise.all([
    db.openAnswer.findUnique({ where: { userId_courseSlug_lessonSlug_questionId: { userId: user.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, questionId } }, select: answerSelect }),
    examOverFor(user, lesson.courseSlug, lesson.slug),
  ])
  return { answer: row ? ownView(row, examOver) : null, lockedReason: lockOf(row ? { status: statusOf(row.status), resubmitAllowed: row.resubmitAllowed } : null, examOver) }
}

/**
 * Saves the learner's answer: a draft (only before the first hand-in) or a hand-in, which may
 * follow another until the answer is graded, or after a grade whose grader allowed it. A new file
 * replaces the one attached; `removeFile` takes it away.
 */
export async function saveOwnAnswer(
  user: Pick<SessionUser, 'id' | 'role'>,
  lesson: Pick<LessonRecord, 'courseSlug' | 'slug' | 'openQuestions'>,
  questionId: string,
  fields: SaveAnswerFields,
  upload: UploadedFile | null,
  now = new Date(),
): Promise<OwnAnswerAnswer> {
  const question = requireOpenQuestion(lesson, questionId)
  const text = normaliseText(fields.text)
  // What the bytes are decides, not the name or the browser's Content-Type.
  let file: (UploadedFile & { contentType: string }) | null = null
  if (upload) {
    checkContent(question, 'draft', text, true, { size: upload.bytes.byteLength })
    const sniffed = sniffFile(upload.bytes)
    const allowed = question.file?.types ?? []
    if (!sniffed || !allowed.includes(sniffed.kind)) {
      throw new OpenAnswerError('file_type_refused', `this file is not one of: ${allowed.join(', ')} (PNG, JPEG, GIF or WebP images, PDF, UTF-8 text)`, { field: 'file', types: allowed })
    }
    file = { name: safeFileName(upload.name, sniffed), bytes: upload.bytes, contentType: sniffed.contentType }
  }
  const where = { userId_courseSlug_lessonSlug_questionId: { userId: user.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, questionId } }
  const examOver = await examOverFor(user, lesson.courseSlug, lesson.slug, now)
  const db = await getDb()
  await db.$transaction(async (tx) => {
    const existing = await tx.openAnswer.findUnique({ where, select: { id: true, status: true, resubmitAllowed: true, file: { select: { size: true } } } })
    const lock = lockOf(existing ? { status: statusOf(existing.status), resubmitAllowed: existing.resubmitAllowed } : null, examOver)
    if (lock === 'exam_over') throw new OpenAnswerError('exam_over', 'the exam is over: its answers can no longer change')
    if (lock === 'graded') throw new OpenAnswerError('answer_locked', 'this answer is graded; the instructor has not asked for another one')
    if (fields.action === 'draft' && existing && existing.status !== 'draft') {
      throw new OpenAnswerError('already_submitted', 'this answer was handed in: send the new version instead of saving a draft')
    }
    const hasFile = file !== null || (fields.removeFile === '0' && Boolean(existing?.file))
    checkContent(question, fields.action, text, hasFile, null)
    const submit = fields.action === 'submit'
    const data = {
      text,
      ...(submit ? { status: 'submitted', submittedAt: now, resubmitAllowed: false } : {}),
    }
    const row = await tx.openAnswer.upsert({
      where,
      create: { userId: user.id, courseSlug: lesson.courseSlug, lessonSlug: lesson.slug, questionId, status: 'draft', ...data, submissions: submit ? 1 : 0 },
      update: { ...data, ...(submit ? { submissions: { increment: 1 } } : {}) },
      select: { id: true },
    })
    if (file) {
      const stored = { name: file.name, contentType: file.contentType, size: file.bytes.byteLength, sha256: createHash('sha256').update(file.bytes).digest('hex'), data: new Uint8Array(file.bytes), createdAt: now }
      await tx.openAnswerFile.upsert({ where: { answerId: row.id }, create: { answerId: row.id, ...stored }, update: stored })
    } else if (fields.removeFile === '1' && existing?.file) {
      await tx.openAnswerFile.delete({ where: { answerId: row.id } })
    }
  })
  return ownAnswer(user, lesson, questionId)
}
