import { expect, test, type Page } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { newStudent } from './support/accounts'
import { watchIntlErrors } from './support/intl-guard'
import { stopLabSandbox } from './support/lab'
import { gotoLoaded } from './support/navigation'

// The lesson pages send their client components only the messages those read (the lesson's
// text, the hands-on panel without the assertion messages, which the checklist loads apart:
// lib/i18n/client-messages.ts, lib/checks/catalogue.ts). In each language, every client
// component of the fixture course's lessons is made to render and act (signed out, then in:
// code blocks, diagram, quiz, mark as read, the workspace's tabs, a check and its checklist,
// a language switch with the checklist shown), and the test fails on any next-intl error in
// the browser's console: a message no longer sent shows there as MISSING_MESSAGE.

const words = {
  fr: {
    signUp: { name: 'Nom affiché', email: 'Adresse e-mail', password: 'Mot de passe', submit: 'Créer mon compte' },
    signOut: 'Se déconnecter',
    copy: 'Copier',
    copied: 'Copié',
    submitQuiz: 'Valider mes réponses',
    score: 'Score : 0/5',
    markRead: 'Marquer comme lue',
    markedRead: 'Leçon terminée',
    signIn: 'Se connecter',
    handsOn: 'Espace de travail',
    workspace: 'Espace de travail du lab',
    exercises: 'Exercices',
    check: 'Vérifier',
    files: 'Fichiers',
    missing: 'aucun réseau nommé demo-net',
    language: 'Langue',
  },
  en: {
    signUp: { name: 'Display name', email: 'Email address', password: 'Password', submit: 'Create my account' },
    signOut: 'Sign out',
    copy: 'Copy',
    copied: 'Copied',
    submitQuiz: 'Submit my answers',
    score: 'Score: 0/5',
    markRead: 'Mark as read',
    markedRead: 'Lesson completed',
    signIn: 'Sign in',
    handsOn: 'Workspace',
    workspace: 'Lab workspace',
    exercises: 'Exercises',
    check: 'Check',
    files: 'Files',
    missing: 'no network named demo-net',
    language: 'Language',
  },
} as const

// A button whose label is a missing message is not found: fail in seconds, not at the test's timeout.
test.use({ actionTimeout: 15_000 })

for (const locale of ['fr', 'en'] as const) {
  const w = words[locale]
  const other = locale === 'fr' ? 'en' : 'fr'

  test(`${locale}: the lesson pages' client components find every message they read`, async ({ browser }) => {
    test.setTimeout(240_000)
    const context = await browser.newContext()
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await context.addCookies([{ name: 'QUAI_LOCALE', value: locale, url: baseURL }])
    const page = await context.newPage()
    const intl = watchIntlErrors(page)
    try {
      // Signed out: a hands-on lesson's panel is a sign-in link; the quiz asks to sign in.
      await gotoLoaded(page, '/courses/demo/labo')
      await expect(page.locator('html')).toHaveAttribute('lang', locale)
      await expect(page.getByRole('region', { name: w.handsOn, exact: true }).getByRole('link', { name: w.signIn })).toBeVisible()
      await gotoLoaded(page, '/courses/demo/quiz-lesson')
      await expect(page.getByTestId('quiz')).toBeVisible()

      await signUp(page, w)

      // A lesson to read: the code block's copy button, the diagram, "mark as read".
      await gotoLoaded(page, '/courses/demo/lecture')
      const copy = page.getByRole('button', { name: w.copy }).first()
      await copy.click()
      await expect(page.getByRole('button', { name: w.copied })).toBeVisible()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('docker network ls')
      await expect(page.locator('figure svg').first()).toBeVisible({ timeout: 15_000 })
      await page.getByRole('button', { name: w.markRead }).click()
      await expect(page.getByText(w.markedRead)).toBeVisible()

      // The quiz, answered wrong: its result and explanations.
      await gotoLoaded(page, '/courses/demo/quiz-lesson')
      await page.getByTestId('quiz').getByRole('button', { name: w.submitQuiz }).click()
      await expect(page.getByTestId('quiz-result')).toContainText(w.score)

      // The hands-on lesson: the workspace, its files tab, a check whose checklist needs the
      // assertion messages, then the other language with the checklist on screen.
      await gotoLoaded(page, '/courses/demo/labo')
      const workspace = page.getByRole('region', { name: w.workspace })
      await expect(workspace.locator('[data-terminal-node="node1"]')).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
      await workspace.getByRole('tab', { name: w.files }).click()
      await workspace.getByRole('tab', { name: 'Ports' }).click()
      const exercise = page.getByRole('region', { name: w.exercises }).last().getByRole('listitem').filter({ hasText: 'Créer le réseau demo-net' })
      const toggle = exercise.getByRole('button', { name: /Créer le réseau demo-net/ })
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
      const checked = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/exercises/check', { timeout: 30_000 })
      await exercise.getByRole('button', { name: w.check, exact: true }).click()
      expect((await checked).status()).toBe(200)
      const line = page.locator('[data-assertion="network:demo-net:exists"]').first()
      await expect(line.locator('[data-message]')).toHaveText(w.missing, { timeout: 30_000 })

      await page.getByLabel(w.language, { exact: true }).selectOption(other)
      await expect(page.locator('html')).toHaveAttribute('lang', other)
      await expect(line.locator('[data-message]')).toHaveText(words[other].missing)

      intl.expectNone()
    } catch (error) {
      // A label or text not found is most likely a message the page did not send: say that first.
      intl.expectNone()
      throw error
    } finally {
      await stopLabSandbox(page)
      await context.close()
    }
  })
}

async function signUp(page: Page, w: (typeof words)[keyof typeof words]) {
  const account = newStudent()
  await gotoLoaded(page, '/sign-up')
  await page.getByLabel(w.signUp.name).fill(account.name)
  await page.getByLabel(w.signUp.email).fill(account.email)
  await page.getByLabel(w.signUp.password).fill(account.password)
  await page.getByRole('button', { name: w.signUp.submit }).click()
  await expect(page.getByRole('button', { name: w.signOut })).toBeVisible()
}
