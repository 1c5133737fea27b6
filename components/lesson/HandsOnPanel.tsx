'use client'
import dynamic from 'next/dynamic'
import Link from 'next/link'
import { useTranslations } from 'next-intl'
import type { PublicExercise } from '@/lib/checks/public'
import type { ExerciseStateView } from '@/lib/progress/api'
import type { KeptWarning } from '@/lib/workspace/api'

// The terminal, editor and exercise panel load only on hands-on lessons, in the browser.
const Workspace = dynamic(() => import('@/components/workspace/Workspace'), { ssr: false, loading: () => <PanelMessage messageKey="workspaceLoading" /> })
const ExercisePanel = dynamic(() => import('@/components/exercises/ExercisePanel').then((m) => m.ExercisePanel), { ssr: false })

export type HandsOnPanelProps = {
  courseSlug: string
  lessonSlug: string
  nodes: { name: string; role: string }[]
  signedIn: boolean
  exercises: PublicExercise[]
  exerciseStates: Record<string, ExerciseStateView>
  /** The exam the learner is in on this lesson (no hints nor solution; attempts shown), or null. */
  exam: { endsAt: string } | null
  /** The lesson's kept work, when it is about to be removed (not resumed until the learner chooses). */
  keptWarning?: KeptWarning | null
}

function PanelMessage({ messageKey }: { messageKey: 'workspaceLoading' | 'signInToTrack' }) {
  const t = useTranslations('learn.lesson')
  return <p className="p-4 text-sm text-slate-200">{t(messageKey)}</p>
}

/** The right half of a hands-on lesson: sandbox terminals, files, ports and the exercise panel. */
export function HandsOnPanel({ courseSlug, lessonSlug, nodes, signedIn, exercises, exerciseStates, exam, keptWarning = null }: HandsOnPanelProps) {
  const t = useTranslations('learn.lesson')
  if (!signedIn) {
    return (
      <section aria-label={t('handsOnPanel')} className="flex h-full flex-col items-start gap-3 bg-slate-950 p-6 text-slate-100">
        <p className="text-sm">{t('signInToTrack')}</p>
        <Link href={`/sign-in?next=${encodeURIComponent(`/courses/${courseSlug}/${lessonSlug}`)}`} className="rounded bg-white px-3 py-1.5 text-sm font-medium text-slate-900 hover:bg-slate-200">
          {t('signIn')}
        </Link>
      </section>
    )
  }
  return (
    <Workspace courseSlug={courseSlug} lessonSlug={lessonSlug} nodes={nodes} keptWarning={keptWarning}>
      {exercises.length > 0
        ? (sandbox, actions) => (
            <ExercisePanel
              courseSlug={courseSlug}
              lessonSlug={lessonSlug}
              sandboxId={sandbox.status === 'running' ? sandbox.id : null}
              exercises={exercises}
              initialState={exerciseStates}
              exam={exam !== null}
              onReset={actions.askReset}
            />
          )
        : undefined}
    </Workspace>
  )
}
