import 'server-only'
import type { SessionUser } from '../auth/session.server'
import { getCourse, listCourses } from '../content/lessons.server'
import { getDb } from '../db/client.server'
import { isUniqueViolation } from '../db/errors'
import { formatJoinCode, generateJoinCode, isJoinCodeExpired, normalizeJoinCode } from './codes'
import { ClassError } from './errors'
import { describeWait } from '../auth/attempt-limits.server'
import { takeJoinAttempt } from './join-attempts.server'
import type { QuizExplanationMode } from '../content/schema'
import { isExplanationMode } from '../quiz/policy'
import type { CreateClassInput, JoinOutcome, UpdateClassInput } from './schemas'

/** Names in French alphabetical order (accents after their letter, case ignored). */
const byName = new Intl.Collator('fr', { sensitivity: 'base' })

// Classes: creation, settings, join codes, members and co-instructors. Every function that
// reads or changes a class starts from requireTeaching(), so being an instructor is never
// enough: one must teach *this* class.

export type ClassSummary = {
  id: string
  name: string
  joinCode: string
  joinCodeExpiresAt: Date | null
  archivedAt: Date | null
  createdAt: Date
  courses: { slug: string; title: string }[]
  memberCount: number
}

export type ClassDetail = ClassSummary & {
  instructors: { id: string; name: string; email: string }[]
  /** Over each quiz's own policy for the class's students (null: the quiz's); lib/quiz/policy.ts. */
  quizPolicy: { maxAttempts: number | null; explanations: QuizExplanationMode | null }
}

const courseTitle = (slug: string) => getCourse(slug)?.index.title ?? slug

/** The class, when `user` teaches it; ClassError 404 when it does not exist, 403 when it is someone else's. */
export async function requireTeaching(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<ClassDetail> {
  const db = await getDb()
  const row = await db.classroom.findUnique({
    where: { id: classId },
    include: {
      courses: { orderBy: { position: 'asc' } },
      instructors: { include: { user: { select: { id: true, name: true, email: true } } }, orderBy: { addedAt: 'asc' } },
      _count: { select: { members: true } },
    },
  })
  if (!row) throw new ClassError('class_not_found', 'no class has this id')
  if (user.role !== 'instructor' || !row.instructors.some((i) => i.userId === user.id)) {
    throw new ClassError('not_class_instructor', 'only the instructors of this class can see or change it')
  }
  return {
    id: row.id,
    name: row.name,
    joinCode: row.joinCode,
    joinCodeExpiresAt: row.joinCodeExpiresAt,
    archivedAt: row.archivedAt,
    createdAt: row.createdAt,
    courses: row.courses.map((c) => ({ slug: c.courseSlug, title: courseTitle(c.courseSlug) })),
    memberCount: row._count.members,
    instructors: row.instructors.map((i) => i.user),
    quizPolicy: { maxAttempts: row.quizMaxAttempts, explanations: isExplanationMode(row.quizExplanations) ? row.quizExplanations : null },
  }
}

function checkCourses(slugs: readonly string[]): void {
  const known = new Set(listCourses().map((c) => c.slug))
  const unknown = slugs.filter((s) => !known.has(s))
  if (unknown.length > 0) throw new ClassError('unknown_course', `unknown course: ${unknown.join(', ')}`, { field: 'courses', courses: unknown })
}

function futureOrNull(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const date = new Date(iso)
  if (date.getTime() <= Date.now()) throw new ClassError('invalid_expiry', 'the expiry date must be in the future', { field: 'joinCodeExpiresAt' })
  return date
}

/** Retries on the (astronomically rare) collision of two random codes. */
async function withFreshCode<T>(fn: (code: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(generateJoinCode())
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 4) throw error
    }
  }
}

export async function createClass(user: Pick<SessionUser, 'id' | 'role'>, input: CreateClassInput): Promise<{ id: string; joinCode: string }> {
  if (user.role !== 'instructor') throw new ClassError('not_class_instructor', 'only instructors create classes')
  checkCourses(input.courses)
  const expiresAt = futureOrNull(input.joinCodeExpiresAt)
  const db = await getDb()
  const created = await withFreshCode((joinCode) =>
    db.classroom.create({
      data: {
        name: input.name,
        joinCode,
        joinCodeExpiresAt: expiresAt,
        courses: { create: input.courses.map((courseSlug, position) => ({ courseSlug, position })) },
        instructors: { create: { userId: user.id } },
      },
      select: { id: true, joinCode: true },
    }),
  )
  return created
}

/** The classes `userId` teaches, newest first, archived ones last. */
export async function listTeachingClasses(userId: string): Promise<ClassSummary[]> {
  const db = await getDb()
  const rows = await db.classroom.findMany({
    where: { instructors: { some: { userId } } },
    include: { courses: { orderBy: { position: 'asc' } }, _count: { select: { members: true } } },
    orderBy: { createdAt: 'desc' },
  })
  return rows
    .map((row) => ({
      id: row.id,
      name: row.name,
      joinCode: row.joinCode,
      joinCodeExpiresAt: row.joinCodeExpiresAt,
      archivedAt: row.archivedAt,
      createdAt: row.createdAt,
      courses: row.courses.map((c) => ({ slug: c.courseSlug, title: courseTitle(c.courseSlug) })),
      memberCount: row._count.members,
    }))
    .sort((a, b) => Number(a.archivedAt !== null) - Number(b.archivedAt !== null))
}

export async function updateClass(classId: string, user: Pick<SessionUser, 'id' | 'role'>, input: UpdateClassInput): Promise<void> {
  await requireTeaching(classId, user)
  if (input.courses) checkCourses(input.courses)
  const db = await getDb()
  await db.$transaction(async (tx) => {
    if (input.name !== undefined || input.archived !== undefined || input.quizMaxAttempts !== undefined || input.quizExplanations !== undefined) {
      await tx.classroom.update({
        where: { id: classId },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.archived !== undefined ? { archivedAt: input.archived ? new Date() : null } : {}),
          ...(input.quizMaxAttempts !== undefined ? { quizMaxAttempts: input.quizMaxAttempts } : {}),
          ...(input.quizExplanations !== undefined ? { quizExplanations: input.quizExplanations } : {}),
        },
      })
    }
    if (input.courses) {
      await tx.classroomCourse.deleteMany({ where: { classroomId: classId } })
      await tx.classroomCourse.createMany({ data: input.courses.map((courseSlug, position) => ({ classroomId: classId, courseSlug, position })) })
    }
  })
}

/** A new code replaces the old one at once: the old code and link stop working. */
export async function regenerateJoinCode(classId: string, user: Pick<SessionUser, 'id' | 'role'>, expiresAtIso: string | null): Promise<{ joinCode: string; joinCodeExpiresAt: Date | null }> {
  await requireTeaching(classId, user)
  const expiresAt = futureOrNull(expiresAtIso)
  const db = await getDb()
  return withFreshCode((joinCode) =>
    db.classroom.update({ where: { id: classId }, data: { joinCode, joinCodeExpiresAt: expiresAt }, select: { joinCode: true, joinCodeExpiresAt: true } }),
  )
}

export type { JoinOutcome }

type CodeLookup = { id: string; name: string; archivedAt: Date | null; joinCodeExpiresAt: Date | null; instructors: { userId: string }[] }

async function findByCode(raw: string): Promise<CodeLookup> {
  const code = normalizeJoinCode(raw)
  if (!code) throw new ClassError('invalid_code', 'a join code has 10 letters and digits, such as K7PMX-R3TAQ', { field: 'code' })
  const db = await getDb()
  const row = await db.classroom.findUnique({
    where: { joinCode: code },
    select: { id: true, name: true, archivedAt: true, joinCodeExpiresAt: true, instructors: { select: { userId: true } } },
  })
  if (!row) throw new ClassError('unknown_code', 'no class has this code: check it with your instructor', { field: 'code' })
  return row
}

function refuseClosed(row: CodeLookup): void {
  if (row.archivedAt) throw new ClassError('class_archived', `the class "${row.name}" is archived and takes no new students`)
  if (isJoinCodeExpired(row.joinCodeExpiresAt)) throw new ClassError('expired_code', 'this code has expired: ask your instructor for a new one', { field: 'code' })
}

/** Looks a code up for a user; wrong codes count against the account, whichever page asks (join-attempts.server.ts). */
async function lookupCode(userId: string, raw: string): Promise<CodeLookup> {
  const attempt = await takeJoinAttempt(userId)
  if (!attempt.allowed) {
    const wait = attempt.retryAfterSeconds
    throw new ClassError('too_many_attempts', `too many wrong codes: try again in ${describeWait(wait)}`, { retryAfterSeconds: wait })
  }
  let miss = false
  try {
    return await findByCode(raw)
  } catch (error) {
    miss = error instanceof ClassError && (error.code === 'unknown_code' || error.code === 'invalid_code')
    throw error
  } finally {
    if (!miss) await attempt.refund()
  }
}

/** What the join link's page shows before the student confirms: the class's name, or why the code is refused. */
export async function previewJoinCode(raw: string, userId: string): Promise<{ classroom: { id: string; name: string }; alreadyMember: boolean; teaches: boolean }> {
  const row = await lookupCode(userId, raw)
  refuseClosed(row)
  const db = await getDb()
  const member = await db.classroomMember.findUnique({ where: { classroomId_userId: { classroomId: row.id, userId } }, select: { userId: true } })
  return { classroom: { id: row.id, name: row.name }, alreadyMember: member !== null, teaches: row.instructors.some((i) => i.userId === userId) }
}

/**
 * Join with a code. Joining a class one is already in is a harmless no-op (status
 * "already-member"), even when two requests race. Wrong codes count against the account.
 */
export async function joinClass(user: Pick<SessionUser, 'id'>, raw: string): Promise<JoinOutcome> {
  const row = await lookupCode(user.id, raw)
  refuseClosed(row)
  if (row.instructors.some((i) => i.userId === user.id)) throw new ClassError('teaches_class', `you teach "${row.name}": instructors do not join their own class`)
  const classroom = { id: row.id, name: row.name }
  const db = await getDb()
  try {
    await db.classroomMember.create({ data: { classroomId: row.id, userId: user.id } })
    return { status: 'joined', classroom }
  } catch (error) {
    if (isUniqueViolation(error)) return { status: 'already-member', classroom }
    throw error
  }
}

/** The classes a learner belongs to (their own memberships only). */
export async function listMemberships(userId: string): Promise<{ id: string; name: string; joinedAt: Date; archived: boolean; courses: { slug: string; title: string }[] }[]> {
  const db = await getDb()
  const rows = await db.classroomMember.findMany({
    where: { userId },
    include: { classroom: { include: { courses: { orderBy: { position: 'asc' } } } } },
    orderBy: { joinedAt: 'desc' },
  })
  return rows.map((r) => ({
    id: r.classroom.id,
    name: r.classroom.name,
    joinedAt: r.joinedAt,
    archived: r.classroom.archivedAt !== null,
    courses: r.classroom.courses.map((c) => ({ slug: c.courseSlug, title: courseTitle(c.courseSlug) })),
  }))
}

export type MemberRow = { id: string; name: string; email: string; joinedAt: Date }

export async function listMembers(classId: string, user: Pick<SessionUser, 'id' | 'role'>): Promise<MemberRow[]> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const rows = await db.classroomMember.findMany({
    where: { classroomId: classId },
    include: { user: { select: { id: true, name: true, email: true } } },
  })
  return rows.map((r) => ({ ...r.user, joinedAt: r.joinedAt })).sort((a, b) => byName.compare(a.name, b.name))
}

/** Removes a student from the class; their own progress stays theirs. */
export async function removeMember(classId: string, user: Pick<SessionUser, 'id' | 'role'>, studentId: string): Promise<void> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const { count } = await db.classroomMember.deleteMany({ where: { classroomId: classId, userId: studentId } })
  if (count === 0) throw new ClassError('student_not_in_class', 'this student is not in the class')
}

/** Adds a co-instructor by email: an existing instructor account. Adding one twice changes nothing. */
export async function addInstructor(classId: string, user: Pick<SessionUser, 'id' | 'role'>, email: string): Promise<{ id: string; name: string; email: string }> {
  await requireTeaching(classId, user)
  const db = await getDb()
  const other = await db.user.findFirst({ where: { email: email.toLowerCase(), role: 'instructor' }, select: { id: true, name: true, email: true } })
  if (!other) throw new ClassError('instructor_not_found', 'no instructor account has this email', { field: 'email' })
  await db.classroomInstructor.upsert({
    where: { classroomId_userId: { classroomId: classId, userId: other.id } },
    create: { classroomId: classId, userId: other.id },
    update: {},
  })
  return other
}

/** Removes a co-instructor (oneself included), never the last one. */
export async function removeInstructor(classId: string, user: Pick<SessionUser, 'id' | 'role'>, instructorId: string): Promise<void> {
  const detail = await requireTeaching(classId, user)
  if (!detail.instructors.some((i) => i.id === instructorId)) throw new ClassError('instructor_not_found', 'this person does not teach the class')
  if (detail.instructors.length === 1) throw new ClassError('last_instructor', 'a class keeps at least one instructor: archive it instead')
  const db = await getDb()
  await db.$transaction(async (tx) => {
    await tx.classroomInstructor.delete({ where: { classroomId_userId: { classroomId: classId, userId: instructorId } } })
    // Two instructors removing each other at once must not leave the class with nobody.
    if ((await tx.classroomInstructor.count({ where: { classroomId: classId } })) === 0) {
      throw new ClassError('last_instructor', 'a class keeps at least one instructor: archive it instead')
    }
  })
}

export { formatJoinCode }
