import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from './support/test'
import { instructorState, signUp } from './support/accounts'

// axe-core (WCAG 2.1 A and AA rules: contrast, labels, landmarks, names, ARIA) on the pages a
// learner uses, in both languages, plus keyboard-only use of the quiz.
async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  // The rules really ran on content (an empty or blocked page would pass vacuously).
  expect(results.passes.length).toBeGreaterThan(10)
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)
}

test('learner pages pass axe WCAG 2.1 AA checks, in French and in English', async ({ page }) => {
  for (const path of ['/sign-in', '/courses/demo/labo']) {
    await page.goto(path)
    expect(await violations(page), `${path} (signed out)`).toEqual([])
  }
  await signUp(page)
  for (const path of ['/', '/courses/demo', '/courses/demo/lecture', '/courses/demo/quiz-lesson', '/progress']) {
    await page.goto(path)
    await page.waitForLoadState('networkidle')
    expect(await violations(page), path).toEqual([])
  }
  await page.getByLabel('Langue').selectOption('en')
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  await page.goto('/courses/demo/quiz-lesson')
  expect(await violations(page), 'quiz-lesson (en)').toEqual([])
})

test('a quiz can be answered and submitted with the keyboard alone', async ({ page }) => {
  await signUp(page)
  await page.goto('/courses/demo/quiz-lesson')
  const quiz = page.getByTestId('quiz')
  await quiz.getByLabel('Quelle adresse le DNS intégré de Docker écoute-t-il ?').focus()
  await page.keyboard.type('127.0.0.11')
  // Tab to the submit button, whatever lies between, and press Enter.
  for (let i = 0; i < 40; i++) {
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '')
    if (focused.includes('Valider mes réponses')) break
    await page.keyboard.press('Tab')
  }
  await page.keyboard.press('Enter')
  await expect(quiz.getByTestId('quiz-result')).toContainText('Score : 1/5')
})

test.describe('instructor pages', () => {
  test.use({ storageState: instructorState })
  test('the instructor space passes axe WCAG 2.1 AA checks', async ({ page }) => {
    for (const path of ['/teach', '/teach/preview', '/teach/preview/demo/quiz-lesson']) {
      await page.goto(path)
      await page.waitForLoadState('networkidle')
      expect(await violations(page), path).toEqual([])
    }
  })
})
