import { createTranslator } from 'next-intl'
import type { Translate } from './messages'

// The assertion messages (`exercises.check`, about 32 KB a language) for the browser. Lesson
// pages do not carry them in their flight data (lib/i18n/client-messages.ts): the checklist
// loads the reader's language here, a separate chunk the browser caches, when the exercise
// panel opens; until a check has a result nothing needs them. Same keys and rendering as on the
// server (render.ts): both go through renderMessage.

export type CheckTranslator = Translate & { has: (key: string) => boolean }

type Catalogue = { default: { check: Record<string, unknown> } }

const loaders: Record<'fr' | 'en', () => Promise<Catalogue>> = {
  fr: () => import('../../messages/fr/exercises.json'),
  en: () => import('../../messages/en/exercises.json'),
}

// React's `use` reads a settled promise's `status` and `value` (and suspends on any other, even
// one already resolved): set once loaded, the next checklists render at once.
type Tracked<T> = Promise<T> & { status?: 'fulfilled'; value?: T }

const loading = new Map<string, Tracked<CheckTranslator>>()

/** The reader's language's assertion messages, loaded once per page (one promise per language, as React's `use` needs). */
export function checkTranslator(locale: string): Promise<CheckTranslator> {
  const known = locale === 'en' ? 'en' : 'fr'
  let promise = loading.get(known)
  if (!promise) {
    const loaded: Tracked<CheckTranslator> = loaders[known]().then(({ default: catalogue }) => {
      const t = createTranslator({ locale: known, messages: { check: catalogue.check } as never, namespace: 'check' as never })
      const translate = ((key: string, params?: Record<string, string | number>) => (t as unknown as Translate)(key, params)) as CheckTranslator
      translate.has = (key: string) => (t as unknown as { has: (key: string) => boolean }).has(key)
      loaded.status = 'fulfilled'
      loaded.value = translate
      return translate
    })
    // A failed load (the network) is tried again at the next render, not kept.
    loaded.catch(() => loading.delete(known))
    loading.set(known, loaded)
    promise = loaded
  }
  return promise
}
