import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { requireTeaching } from '../classes/classes.server'
import { ClassError } from '../classes/errors'
import { toCsv } from '../classes/aggregate'
import type { Locale } from '../classes/dashboard.server'
import { membersOf } from '../classes/queries.server'
import type { OpenQuestion } from '../content/open-questions'
import { getCourse } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { answerSelect } from './answers.server'
import { examViewOf } from '../exams/exams.server'
import type { ExamView } from '../exams/api'
import { gradeInput, type QueuedAnswer } from './api'
import { fileViewOf, gradeViewOf, statusOf } from './answers.server'
import { OpenAnswerError } from './errors'
import { checkGrade, percentOf } from './rules'

// The instructor's side: the class's open questions with what waits to be graded, the answers to
// one question, grading against its rubric, the CSV. Every function starts from requireTeaching
// (an instructor of *this* class), and reads only answers of the class's members on the class's
// courses; drafts are the learner's own and never shown.

export type ClassOpenQuestion = {
  key: string
  courseSlug: string
  lessonSlug: string
  courseTitle: string
  lessonTitle: string
  question: OpenQuestion
}

/** The open questions of the class's courses, in teaching order; with an exam that names lessons, still all (the exam only marks answers). */
export function classOpenQuestions(courseSlugs: readonly string[]): ClassOpenQuestion[] {
  return courseSlugs.flatMap((slug) => {
    const course = getCourse(slug)
    if (!course) return []
    return course.lessons.flatMap((lesson) =>
      lesson.openQuestions.map((question) => ({
        key: `${slug}/${lesson.slug}/${question.id}`,
        courseSlug: slug,
        lessonSlug: lesson.slug,
        courseTitle: course.index.title,
        lessonTitle: lesson.frontmatter?.title ?? lesson.slug,
        question,
      })),
    )
  })
}

const handedIn = { in: ['submitted', 'graded'] }

export type OpenQuestionCounts = ClassOpenQuestion & { toGrade: number; graded: number }

/** The class's open questions, each with its answers to grade and graded (one grouped query). */
export async function openQuestionsOverview(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<{ className: string; questions: OpenQuestionCounts[] }> {
  const classroom = await requireTeaching(classId, user)
  const questions = classOpenQuestions(classroom.courses.map((c) => c.slug))
  const db = await getDb()
  const counts =
    questions.length === 0
      ? []
      : await db.openAnswer.groupBy({
          by: ['courseSlug', 'lessonSlug', 'questionId', 'status'],
          where: { user: { memberships: { some: { classroomId: classId } } }, courseSlug: { in: classroom.courses.map((c) => c.slug) }, status: handedIn },
          _count: { _all: true },
        })
  const count = (q: ClassOpenQuestion, status: string) =>
    counts.find((c) => c.courseSlug === q.courseSlug && c.lessonSlug === q.lessonSlug && c.questionId === q.question.id && c.status === status)?._count._all ?? 0
  return { className: classroom.name, questions: questions.map((q) => ({ ...q, toGrade: count(q, 'submitted'), graded: count(q, 'graded') })) }
}

function requireClassQuestion(courseSlugs: readonly string[], key: string): ClassOpenQuestion {
  const found = classOpenQuestions(courseSlugs).find((q) => q.key === key)
  if (!found) throw new OpenAnswerError('open_question_not_found', "no open question with this key in the class's courses")
  return found
}

const inWindow = (exam: ExamView, lessonKey: string, submittedAt: Date | null) => {
  if (!exam || (exam.lessons && !exam.lessons.includes(lessonKey))) return true
  return submittedAt !== null && submittedAt >= new Date(exam.startsAt) && submittedAt < new Date(exam.endsAt)
}

/** What the grader reads of an answer: what its learner reads, and whose and where it is. */
const queueSelect = { ...answerSelect, userId: true, courseSlug: true, lessonSlug: true } as const

type QueueRow = { id: string; userId: string; courseSlug: string; lessonSlug: string; status: string; submittedAt: Date | null; resubmitAllowed: boolean; text: string; submissions: number } & Parameters<typeof gradeViewOf>[0] & { file: { name: string; contentType: string; size: number } | null }

function queuedView(row: QueueRow, student: { id: string; name: string; email: string }, exam: ExamView): QueuedAnswer {
  return {
    id: row.id,
    student,
    status: statusOf(row.status) === 'graded' ? 'graded' : 'submitted',
    text: row.text,
    file: fileViewOf(row.id, row.file),
    submittedAt: row.submittedAt?.toISOString() ?? null,
    submissions: row.submissions,
    grade: gradeViewOf(row),
    resubmitAllowed: row.resubmitAllowed,
    inExamWindow: inWindow(exam, `${row.courseSlug}/${row.lessonSlug}`, row.submittedAt),
  }
}

/** The class's handed-in answers to one question: those to grade first (oldest first), then the graded ones. */
export async function answerQueue(classId: string, user: Pick<SessionUser, 'id' | 'role'>, key: string): Promise<{ question: ClassOpenQuestion; exam: ExamView; answers: QueuedAnswer[] }> {
  const classroom = await requireTeaching(classId, user)
  const question = requireClassQuestion(classroom.courses.map((c) => c.slug), key)
  const db = await getDb()
  const [students, examRow] = await Promise.all([membersOf(db, classId), db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true, examLessons: true } })])
  const exam = examViewOf(examRow)
  const byId = new Map(students.map((s) => [s.id, { id: s.id, name: s.name, email: s.email }]))
  const rows = await db.openAnswer.findMany({
    where: { userId: { in: [...byId.keys()] }, courseSlug: question.courseSlug, lessonSlug: question.lessonSlug, questionId: question.question.id, status: handedIn },
    select: queueSelect,
  })
  const order = (r: QueueRow) => (statusOf(r.status) === 'submitted' ? 0 : 1)
  rows.sort((a, b) => order(a) - order(b) || (a.submittedAt?.getTime() ?? 0) - (b.submittedAt?.getTime() ?? 0))
  return { question, exam, answers: rows.map((r) => queuedView(r, byId.get(r.userId)!, exam)) }
}

/**
 * Grades one handed-in answer of a member of the class against its question's rubric. `expectSubmissions`
 * (the count the grader saw) refuses a grade meant for an earlier version the learner has since replaced.
 */
export async function gradeAnswer(classId: string, user: Pick<SessionUser, 'id' | 'role'>, answerId: string, raw: unknown, now = new Date()): Promise<QueuedAnswer> {
  const input = gradeInput.parse(raw)
  const classroom = await requireTeaching(classId, user)
  const db = await getDb()
  const row = await db.openAnswer.findUnique({ where: { id: answerId }, select: { ...queueSelect, user: { select: { id: true, name: true, email: true, memberships: { where: { classroomId: classId }, select: { userId: true } } } } } })
  // Another class's answer is not found here, as one that does not exist.
  if (!row || row.user.memberships.length === 0 || !classroom.courses.some((c) => c.slug === row.courseSlug)) {
    throw new OpenAnswerError('answer_not_found', 'no answer with this id in this class')
  }
  if (classroom.archivedAt) throw new ClassError('class_archived', 'this class is archived')
  const question = requireClassQuestion(classroom.courses.map((c) => c.slug), `${row.courseSlug}/${row.lessonSlug}/${row.questionId}`)
  if (statusOf(row.status) === 'draft') throw new OpenAnswerError('not_submitted', 'this answer has not been handed in')
  if (input.expectSubmissions !== undefined && input.expectSubmissions !== row.submissions) {
    throw new OpenAnswerError('answer_changed', 'the learner handed in a new version since you opened it: read it again', { submissions: row.submissions })
  }
  const { points, maxPoints } = checkGrade(question.question, input.criteria)
  const updated = await db.openAnswer.updateMany({
    // The same version as read above: a hand-in between the read and this write is not graded blind.
    where: { id: answerId, submissions: row.submissions },
    data: { status: 'graded', criteria: input.criteria, points, maxPoints, feedback: input.feedback, gradedById: user.id, gradedAt: now, resubmitAllowed: input.allowResubmit },
  })
  if (updated.count === 0) throw new OpenAnswerError('answer_changed', 'the learner handed in a new version meanwhile: read it again')
  const examRow = await db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true, examLessons: true } })
  const fresh = await db.openAnswer.findUniqueOrThrow({ where: { id: answerId }, select: queueSelect })
  return queuedView(fresh, { id: row.user.id, name: row.user.name, email: row.user.email }, examViewOf(examRow))
}

/**
 * The attached file, for its learner (drafts included) or an instructor of a class the learner is
 * in that follows the lesson's course (handed-in answers only). Anyone else: not found, as for a
 * file that does not exist.
 */
export async function answerFileFor(user: Pick<SessionUser, 'id' | 'role'>, answerId: string): Promise<{ name: string; contentType: string; data: Uint8Array }> {
  const db = await getDb()
  const row = await db.openAnswer.findUnique({ where: { id: answerId }, select: { userId: true, courseSlug: true, status: true, file: { select: { name: true, contentType: true, data: true } } } })
  const missing = new OpenAnswerError('answer_not_found', 'no file for this answer')
  if (!row?.file) throw missing
  if (row.userId !== user.id) {
    if (user.role !== 'instructor' || statusOf(row.status) === 'draft') throw missing
    const teaches = await db.classroom.count({
      where: { instructors: { some: { userId: user.id } }, members: { some: { userId: row.userId } }, courses: { some: { courseSlug: row.courseSlug } } },
    })
    if (teaches === 0) throw missing
  }
  return { name: row.file.name, contentType: row.file.contentType, data: row.file.data }
}

const headers: Record<Locale, string[]> = {
  fr: ['Nom', 'E-mail', 'Cours', 'Leçon', 'Question', 'État', 'Points', 'Sur', 'Note (%)', 'Détail par critère', 'Corrigé par', 'Corrigé le', 'Rendu le', "Rendu pendant l'épreuve"],
  en: ['Name', 'Email', 'Course', 'Lesson', 'Question', 'Status', 'Points', 'Out of', 'Grade (%)', 'Per criterion', 'Graded by', 'Graded at', 'Handed in at', 'Handed in during the exam'],
}
const statusWords: Record<Locale, Record<string, string>> = {
  fr: { none: 'non rendu', submitted: 'à corriger', graded: 'corrigé' },
  en: { none: 'not handed in', submitted: 'to grade', graded: 'graded' },
}

/**
 * The class's open-question grades, one row per student × question (their own columns: a grade
 * is points on a rubric and may be pending, unlike the best run of an exercise in the grade sheet).
 * With an exam that names lessons, only its lessons' questions.
 */
export async function exportOpenAnswersCsv(classId: string, user: Pick<SessionUser, 'id' | 'role'>, locale: Locale): Promise<{ filename: string; body: string }> {
  const classroom = await requireTeaching(classId, user)
  const db = await getDb()
  const examRow = await db.classroom.findUniqueOrThrow({ where: { id: classId }, select: { examStartsAt: true, examEndsAt: true, examLessons: true } })
  const exam = examViewOf(examRow)
  const questions = classOpenQuestions(classroom.courses.map((c) => c.slug)).filter((q) => !exam?.lessons || exam.lessons.includes(`${q.courseSlug}/${q.lessonSlug}`))
  const students = await membersOf(db, classId)
  const rows =
    questions.length === 0 || students.length === 0
      ? []
      : await db.openAnswer.findMany({ where: { userId: { in: students.map((s) => s.id) }, courseSlug: { in: [...new Set(questions.map((q) => q.courseSlug))] }, status: handedIn }, select: queueSelect })
  const number = (n: number) => (locale === 'fr' ? String(n).replace('.', ',') : String(n))
  const out: (string | number | null)[][] = [headers[locale]]
  for (const student of students) {
    for (const q of questions) {
      const row = rows.find((r) => r.userId === student.id && r.courseSlug === q.courseSlug && r.lessonSlug === q.lessonSlug && r.questionId === q.question.id)
      const grade = row ? gradeViewOf(row) : null
      const detail = grade ? q.question.rubric.map((c) => `${c.label}: ${number(grade.criteria[c.id] ?? 0)}/${c.points}`).join(' · ') : null
      out.push([
        student.name,
        student.email,
        q.courseTitle,
        q.lessonTitle,
        q.question.title,
        statusWords[locale][row ? statusOf(row.status) : 'none'] ?? null,
        grade ? number(grade.points) : null,
        q.question.points,
        grade ? number(percentOf(grade.points, grade.maxPoints)) : null,
        detail,
        grade?.gradedBy ?? null,
        grade?.gradedAt ?? null,
        row?.submittedAt?.toISOString() ?? null,
        row && exam ? (inWindow(exam, `${q.courseSlug}/${q.lessonSlug}`, row.submittedAt) ? (locale === 'fr' ? 'oui' : 'yes') : locale === 'fr' ? 'non' : 'no') : null,
      ])
    }
  }
  const date = new Date().toISOString().slice(0, 10)
  const slug = classroom.name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'classe'
  return { filename: `${slug}-questions-ouvertes-${date}.csv`, body: toCsv(out, locale === 'fr' ? ';' : ',') }
}
