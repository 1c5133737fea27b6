import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { lessonHref } from '@/lib/content/paths'
import type { ResumePoint } from '@/lib/progress/overview.server'

/** Where the learner was last: the lesson, the exercise they were on, when, and a link back. */
export async function ResumeCard({ resume }: { resume: ResumePoint }) {
  const [t, format] = await Promise.all([getTranslations('learn.progress'), getFormatter()])
  return (
    <section aria-labelledby="resume-heading" className="mt-6 rounded-xl border border-brand-100 bg-brand-50 p-5" data-testid="resume">
      <h2 id="resume-heading" className="text-lg font-semibold">
        {t('resumeHeading')}
      </h2>
      <p className="mt-1 text-sm text-slate-800">
        {t('resumeWhere', { lesson: resume.lessonTitle, course: resume.courseTitle, date: format.dateTime(resume.at, { dateStyle: 'long', timeStyle: 'short' }) })}
        {resume.exerciseTitle && <> {t('resumeExercise', { exercise: resume.exerciseTitle })}</>}
      </p>
      <Link href={lessonHref(resume.courseSlug, resume.lessonSlug)} className="mt-3 inline-block rounded bg-brand-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-800">
        {t('resume')}
      </Link>
    </section>
  )
}
