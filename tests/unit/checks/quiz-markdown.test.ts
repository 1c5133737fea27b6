import { AppRouterContext } from 'next/dist/shared/lib/app-router-context.shared-runtime'
import { NextIntlClientProvider } from 'next-intl'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { expect, test } from 'vitest'
import { plainText } from '../../../components/exercises/markdown'
import { Quiz } from '../../../components/quiz/Quiz'
import type { PublicQuiz } from '../../../lib/quiz/public'
import fr from '../../../messages/fr/learn.json'

// Quiz prompts and choices are inline Markdown (docs/authoring.md): `code`, **bold**, links,
// rendered as elements from markdown.ts's tree. Whatever HTML an author writes is text.

const quiz: PublicQuiz = {
  passingScore: 60,
  questions: [
    { id: 'pilotes', type: 'multiple', prompt: 'Lesquels sont des pilotes de `docker network create --driver` ?', choices: [{ id: 'a', text: '`bridge`' }, { id: 'b', text: '**overlay**' }] },
    { id: 'xss', type: 'single', prompt: 'Avant <script>alert(1)</script> après', choices: [{ id: 'a', text: '<img src=x onerror=alert(1)>' }, { id: 'b', text: '[lien](javascript:alert(1))' }] },
    { id: 'court', type: 'short', prompt: 'Quelle option de `docker run` publie un port ?', maxLength: 200 },
  ],
}

const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} }

function render(): string {
  const props = { courseSlug: 'demo', lessonSlug: 'quiz-lesson', quiz, policy: { maxAttempts: 3, explanations: 'after-pass' as const }, standing: null, signedIn: true }
  return renderToString(
    createElement(AppRouterContext.Provider, {
      value: router as never,
      children: createElement(NextIntlClientProvider, { locale: 'fr', messages: { learn: fr }, timeZone: 'Europe/Paris', children: createElement(Quiz, props) }),
    }),
  )
}

test('a prompt and its choices render their inline Markdown: `code` is <code>, **bold** is <strong>', () => {
  const html = render()
  expect(html).toContain('Lesquels sont des pilotes de <code')
  expect(html).toMatch(/<code[^>]*>docker network create --driver<\/code>/)
  expect(html).toMatch(/<code[^>]*>bridge<\/code>/)
  expect(html).toContain('<strong>overlay</strong>')
  expect(html).not.toContain('`')
})

test('HTML in a prompt or a choice is shown as text, never as markup', () => {
  const html = render()
  expect(html).toContain('Avant &lt;script&gt;alert(1)&lt;/script&gt; après')
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  expect(html).not.toMatch(/<script|<img/)
  expect(html).not.toContain('javascript:')
})

test('a short answer is labelled with the prompt as a reader hears it, without Markdown marks', () => {
  expect(render()).toContain('aria-label="Quelle option de docker run publie un port ?"')
  expect(plainText('**`a`** et [b](https://x.test) <i>')).toBe('a et b <i>')
})
