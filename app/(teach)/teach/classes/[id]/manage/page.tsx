import type { Metadata } from 'next'
import Link from 'next/link'
import { getFormatter, getTranslations } from 'next-intl/server'
import { AddInstructorForm } from '@/components/teach/AddInstructorForm'
import { ClassSessionForm } from '@/components/teach/ClassSessionForm'
import { ClassSettingsForm } from '@/components/teach/ClassSettingsForm'
import { JoinCodeCard } from '@/components/teach/JoinCodeCard'
import { RemoveButton } from '@/components/teach/RemoveButton'
import { requirePageUser } from '@/lib/auth/session.server'
import { isJoinCodeExpired } from '@/lib/classes/codes'
import { listMembers, requireTeaching } from '@/lib/classes/classes.server'
import { orPage } from '@/lib/classes/http.server'
import { idParam } from '@/lib/classes/schemas'
import { listClassSessions, sessionLessonChoices } from '@/lib/classes/sessions.server'
import { listCourses } from '@/lib/content/lessons.server'
import { getEnv } from '@/lib/env.server'
import { sandboxConfig } from '@/lib/sandbox/config.server'

type Props = { params: Promise<{ id: string }> }

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('teach'))('dashboard.manage') }
}

export default async function ManageClassPage({ params }: Props) {
  const { id } = await params
  const user = await requirePageUser(`/teach/classes/${id}/manage`, 'instructor')
  const classId = idParam.safeParse(id).data ?? 'not-a-class'
  const classroom = await orPage(requireTeaching(classId, user))
  const { sessionLeadMinutes, sessionWindowMinutes } = sandboxConfig()
  const [members, sessions, t, format] = await Promise.all([orPage(listMembers(classId, user)), listClassSessions(classId, user, sessionWindowMinutes), getTranslations('teach'), getFormatter()])
  // Courses that vanished from the content stay listed so that unticking them is possible.
  const known = listCourses().map((c) => ({ slug: c.slug, title: c.index.title }))
  const courses = [...known, ...classroom.courses.filter((c) => !known.some((k) => k.slug === c.slug))]

  return (
    <main className="mx-auto max-w-4xl px-6 py-8">
      <nav aria-label={t('student.back', { name: classroom.name })} className="text-sm">
        <Link href={`/teach/classes/${classroom.id}`} className="text-slate-600 underline hover:text-slate-900">
          {t('student.back', { name: classroom.name })}
        </Link>
      </nav>
      <h1 className="mt-2 text-3xl font-bold tracking-tight">{t('manage.heading', { name: classroom.name })}</h1>

      <div className="mt-6">
        <JoinCodeCard classId={classroom.id} code={classroom.joinCode} expiresAt={classroom.joinCodeExpiresAt?.toISOString() ?? null} expired={isJoinCodeExpired(classroom.joinCodeExpiresAt)} archived={classroom.archivedAt !== null} origin={getEnv().appUrl} />
      </div>

      <section className="mt-8" aria-label={t('dashboard.manage')}>
        <ClassSettingsForm classId={classroom.id} name={classroom.name} archived={classroom.archivedAt !== null} courses={courses} chosen={classroom.courses.map((c) => c.slug)} quizPolicy={classroom.quizPolicy} />
      </section>

      <section className="mt-10" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="text-lg font-semibold">
          {t('sessions.heading')}
        </h2>
        <p className="mt-1 text-sm text-slate-700">{t('sessions.hint', { lead: sessionLeadMinutes, window: sessionWindowMinutes })}</p>
        {sessions.length === 0 ? (
          <p className="mt-2 text-sm text-slate-700">{t('sessions.none')}</p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-200" data-testid="class-sessions">
            {sessions.map((s) => {
              const date = format.dateTime(s.startsAt, { dateStyle: 'full', timeStyle: 'short' })
              return (
                <li key={s.id} className="flex flex-wrap items-center justify-between gap-3 py-2" data-session={s.id}>
                  <span>{t('sessions.entry', { lesson: s.lessonTitle, date })}</span>
                  <RemoveButton url={`/api/classes/${classroom.id}/sessions/${s.id}`} label={t('sessions.remove')} confirm={t('sessions.removeConfirm', { lesson: s.lessonTitle, date })} />
                </li>
              )
            })}
          </ul>
        )}
        <ClassSessionForm classId={classroom.id} lessons={sessionLessonChoices(classroom.courses.map((c) => c.slug))} />
      </section>

      <section className="mt-10" aria-labelledby="members-heading">
        <h2 id="members-heading" className="text-lg font-semibold">
          {t('manage.membersHeading', { count: members.length })}
        </h2>
        {members.length === 0 ? (
          <p className="mt-2 text-sm text-slate-700">{t('manage.membersNone')}</p>
        ) : (
          <ul className="mt-2 divide-y divide-slate-200" data-testid="members">
            {members.map((m) => (
              <li key={m.id} className="flex flex-wrap items-center justify-between gap-3 py-2" data-student={m.id}>
                <span>
                  <Link href={`/teach/classes/${classroom.id}/students/${m.id}`} className="font-medium text-brand-700 underline">
                    {m.name}
                  </Link>{' '}
                  <span className="text-sm text-slate-600">
                    {m.email} · {t('manage.joinedOn', { date: format.dateTime(m.joinedAt, { dateStyle: 'medium' }) })}
                  </span>
                </span>
                <RemoveButton url={`/api/classes/${classroom.id}/members/${m.id}`} label={t('student.remove')} confirm={t('student.removeConfirm', { name: m.name })} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="mt-10" aria-labelledby="instructors-heading">
        <h2 id="instructors-heading" className="text-lg font-semibold">
          {t('manage.instructorsHeading')}
        </h2>
        <ul className="mt-2 divide-y divide-slate-200">
          {classroom.instructors.map((i) => (
            <li key={i.id} className="flex flex-wrap items-center justify-between gap-3 py-2">
              <span>
                <span className="font-medium">{i.name}</span> <span className="text-sm text-slate-600">{i.email}</span>
                {i.id === user.id && <span className="ml-2 text-sm text-slate-600">({t('manage.you')})</span>}
              </span>
              {classroom.instructors.length > 1 && (
                <RemoveButton
                  url={`/api/classes/${classroom.id}/instructors/${i.id}`}
                  label={t('manage.removeInstructor')}
                  confirm={t('manage.removeInstructorConfirm', { name: i.name })}
                  then={i.id === user.id ? '/teach' : undefined}
                />
              )}
            </li>
          ))}
        </ul>
        <AddInstructorForm classId={classroom.id} />
      </section>
    </main>
  )
}
