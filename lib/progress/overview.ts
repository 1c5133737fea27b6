import { coursePercent, lessonStatus, missingWork, type LessonStatus } from './rules'

// The learner's progress page, shaped from a few rows of theirs. Pure: overview.server.ts reads
// the rows; the completion rule (what is missing) is the one lessons are completed by (rules.ts).

export type CourseShape = {
  slug: string
  title: string
  lessons: { slug: string; title: string; hasQuiz: boolean; quizPassingScore: number; exercises: { id: string; title: string }[] }[]
}

type At = { courseSlug: string; lessonSlug: string }
export type OverviewRows = {
  lessons: (At & { completedAt: Date | null; lastSeenAt: Date })[]
  quizzes: (At & { score: number; maxScore: number; createdAt: Date })[]
  exercises: (At & { exerciseId: string; completedAt: Date | null; updatedAt: Date })[]
  /** Where the learner was last seen working (the lesson page's heartbeat), if anywhere. */
  presence: (At & { exerciseId: string | null }) | null
}

export type LessonOverview = {
  courseSlug: string
  lessonSlug: string
  title: string
  status: LessonStatus
  exercises: { done: number; total: number }
  /** Null when the lesson has no quiz; best is null before any attempt. */
  quiz: { best: number | null; attempts: number; passingScore: number } | null
  /** What the lesson still needs to be completed; null once it is. */
  missing: { exercises: { id: string; title: string }[]; quiz: { passingScore: number; best: number | null } | null; markRead: boolean } | null
  /** The latest of: the lesson page seen, a quiz answered, an exercise's progress changed. */
  lastActivityAt: Date | null
}

export type CourseOverview = { slug: string; title: string; lessons: LessonOverview[]; completed: number; percent: number }

/** Where to pick up: the lesson of the latest activity, and the exercise the learner was on there. */
export type ResumePoint = { courseSlug: string; lessonSlug: string; courseTitle: string; lessonTitle: string; exerciseTitle: string | null; at: Date }

export type ProgressOverview = { courses: CourseOverview[]; resume: ResumePoint | null }

const percentOf = (score: number, maxScore: number) => (maxScore === 0 ? 0 : Math.round((score / maxScore) * 100))
const latest = (dates: (Date | null | undefined)[]): Date | null =>
  dates.reduce<Date | null>((max, d) => (d && (!max || d.getTime() > max.getTime()) ? d : max), null)

function byLesson<T extends At>(rows: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const row of rows) {
    const key = `${row.courseSlug}/${row.lessonSlug}`
    map.set(key, [...(map.get(key) ?? []), row])
  }
  return map
}

export function buildOverview(courses: readonly CourseShape[], rows: OverviewRows): ProgressOverview {
  const progress = new Map(rows.lessons.map((r) => [`${r.courseSlug}/${r.lessonSlug}`, r]))
  const quizzes = byLesson(rows.quizzes)
  const exercises = byLesson(rows.exercises)
  let resume: ResumePoint | null = null

  const shaped = courses.map((course): CourseOverview => {
    const lessons = course.lessons.map((lesson): LessonOverview => {
      const key = `${course.slug}/${lesson.slug}`
      const p = progress.get(key)
      const qs = quizzes.get(key) ?? []
      const es = exercises.get(key) ?? []
      const completedIds = es.filter((e) => e.completedAt !== null).map((e) => e.exerciseId)
      const best = qs.length === 0 ? null : Math.max(...qs.map((q) => percentOf(q.score, q.maxScore)))
      const completedAt = p?.completedAt ?? null
      const status = lessonStatus({ started: p !== undefined || qs.length > 0 || es.length > 0, completedAt })
      const missing = missingWork({
        hasQuiz: lesson.hasQuiz,
        quizPassingScore: lesson.quizPassingScore,
        bestQuizPercent: best,
        exerciseIds: lesson.exercises.map((e) => e.id),
        completedExerciseIds: completedIds,
        markedRead: false,
      })
      const lastActivityAt = latest([p?.lastSeenAt, ...qs.map((q) => q.createdAt), ...es.map((e) => e.updatedAt)])
      if (lastActivityAt && (!resume || lastActivityAt.getTime() > resume.at.getTime())) {
        const here = rows.presence && rows.presence.courseSlug === course.slug && rows.presence.lessonSlug === lesson.slug ? rows.presence.exerciseId : null
        resume = {
          courseSlug: course.slug,
          lessonSlug: lesson.slug,
          courseTitle: course.title,
          lessonTitle: lesson.title,
          exerciseTitle: lesson.exercises.find((e) => e.id === here)?.title ?? null,
          at: lastActivityAt,
        }
      }
      return {
        courseSlug: course.slug,
        lessonSlug: lesson.slug,
        title: lesson.title,
        status,
        exercises: { done: lesson.exercises.filter((e) => completedIds.includes(e.id)).length, total: lesson.exercises.length },
        quiz: lesson.hasQuiz ? { best, attempts: qs.length, passingScore: lesson.quizPassingScore } : null,
        // Completion is never taken back: a completed lesson misses nothing, even after its content grew.
        missing:
          status === 'completed'
            ? null
            : { exercises: lesson.exercises.filter((e) => missing.exerciseIds.includes(e.id)), quiz: missing.quiz, markRead: missing.markRead },
        lastActivityAt,
      }
    })
    const statuses = lessons.map((l) => l.status)
    return { slug: course.slug, title: course.title, lessons, completed: statuses.filter((s) => s === 'completed').length, percent: coursePercent(statuses) }
  })
  return { courses: shaped, resume }
}
