import { getTranslations } from 'next-intl/server'
import { listMemberships } from '@/lib/classes/classes.server'

/** The classes the signed-in learner belongs to: names and courses only, never anyone's data. */
export async function MyClasses({ userId }: { userId: string }) {
  const [t, classes] = await Promise.all([getTranslations('teach.join'), listMemberships(userId)])
  return (
    <section className="mt-10" aria-labelledby="my-classes-heading">
      <h2 id="my-classes-heading" className="text-lg font-semibold">
        {t('mine')}
      </h2>
      {classes.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">{t('mineNone')}</p>
      ) : (
        <ul className="mt-2 divide-y divide-slate-200" data-testid="my-classes">
          {classes.map((c) => (
            <li key={c.id} className="py-2">
              <span className="font-medium">{c.name}</span>
              {c.archived && <span className="ml-2 text-sm text-slate-600">({t('archived')})</span>}
              <span className="block text-sm text-slate-600">{c.courses.map((course) => course.title).join(' · ')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
