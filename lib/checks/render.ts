import { createTranslator } from 'next-intl'
import en from '../../messages/en/exercises.json'
import fr from '../../messages/fr/exercises.json'
import type { Assertion } from './assertions'
import { renderMessage, renderMessageWithOutputs, type RenderedMessage, type Translate } from './messages'

// Assertion messages rendered outside React (tests, scripts, the solvability report). The
// browser renders the same keys with next-intl's useTranslations('exercises.check').

const catalogues = { fr, en } as const
const translators = new Map<string, Translate>()

export function checkTranslator(locale: 'fr' | 'en'): Translate {
  let t = translators.get(locale)
  if (!t) {
    const translate = createTranslator({ locale, messages: { exercises: catalogues[locale] }, namespace: 'exercises.check' })
    t = (key, params) => (translate as unknown as Translate)(key, params)
    translators.set(locale, t)
  }
  return t
}

export function renderAssertion(assertion: Pick<Assertion, 'key' | 'params'>, locale: 'fr' | 'en' = 'fr'): string {
  return renderMessage(checkTranslator(locale), assertion.key, assertion.params)
}

/** The message and, apart, the raw tool outputs it translated into a cause (for a disclosure). */
export function renderAssertionWithOutputs(assertion: Pick<Assertion, 'key' | 'params'>, locale: 'fr' | 'en' = 'fr'): RenderedMessage {
  return renderMessageWithOutputs(checkTranslator(locale), assertion.key, assertion.params)
}
