import { expect, test, type Page } from './support/test'
import { curriculumURL } from '../../playwright.config'
import { newStudent, signUp } from './support/accounts'
import { watchIntlErrors } from './support/intl-guard'

// What learners read is in their language and renders properly: a tool's error told as its
// cause, with the raw output behind a disclosure; quiz Markdown; screen-reader text and labels
// in English; file API refusals in the reader's language; the catalogue at /courses.

/** The locale switch in the header (a cookie, then the page refreshes in that language). */
async function switchLocale(page: Page, from: 'Langue' | 'Language', to: 'fr' | 'en') {
  await page.getByLabel(from, { exact: true }).selectOption(to)
  await expect(page.locator('html')).toHaveAttribute('lang', to)
}

test('/courses serves the catalogue, and / still does', async ({ page }) => {
  for (const path of ['/courses', '/']) {
    const response = await page.goto(path)
    expect(response?.status(), path).toBe(200)
    await expect(page.getByRole('heading', { level: 1, name: 'Apprendre Docker en le pratiquant' })).toBeVisible()
    await expect(page.getByRole('link', { name: 'Cours de démonstration' })).toBeVisible()
  }
  await page.goto('/courses')
  await page.getByRole('link', { name: 'Cours de démonstration' }).click()
  await expect(page).toHaveURL(/\/courses\/demo$/)
})

test('quiz prompts, choices and explanations render inline Markdown; English labels have no French space before the colon', async ({ page }) => {
  await signUp(page)
  const intl = watchIntlErrors(page)
  await page.goto('/courses/demo/quiz-lesson')
  const quiz = page.getByTestId('quiz')
  const drivers = quiz.locator('[data-question="drivers"]')
  await expect(drivers.locator('legend code')).toHaveText('docker network create --driver')
  await expect(drivers.locator('legend')).not.toContainText('`')
  await expect(drivers.locator('label', { hasText: 'tunnel' }).locator('code')).toHaveText('tunnel')
  // textContent: toHaveText would turn the non-breaking space into a plain one.
  expect(await page.getByText(/^Prérequis/).textContent()).toBe('Prérequis\u00a0: ')

  await switchLocale(page, 'Langue', 'en')
  expect(await page.getByText(/^Prerequisites/).textContent()).toBe('Prerequisites: ')
  await quiz.getByLabel('Quelle adresse le DNS intégré de Docker écoute-t-il ?').fill('127.0.0.11')
  await quiz.locator('[data-question="default-net"]').getByLabel('bridge').check()
  await drivers.getByLabel('bridge').check()
  await drivers.getByLabel('overlay').check()
  await quiz.getByLabel('Quelle option rend un réseau interne ?').fill('--internal')
  await quiz.getByLabel('Nom du pilote de Swarm multi-hôtes ?').fill('Overlay')
  await quiz.getByRole('button', { name: 'Submit my answers' }).click()
  await expect(quiz.getByTestId('quiz-result')).toContainText('Score: 5/5 (100%)')
  const explanation = quiz.locator('[data-question="case"] [data-correct="true"]')
  await expect(explanation).toContainText('Explanation: Ici la casse compte, pour les tests : Overlay, pas overlay.')
  await expect(explanation.locator('strong code')).toHaveText('Overlay')
  await expect(explanation).not.toContainText('`')
  intl.expectNone()
})

test('in English, a check explains curl’s failure in English with curl’s output in a disclosure; screen-reader text and file errors are English too', async ({ browser }) => {
  test.setTimeout(300_000)
  // The real curriculum's first exercise of reseaux-par-defaut requests http://localhost:8081/
  // on node1: on a fresh sandbox, curl fails with "(7) Failed to connect to localhost port 8081".
  const context = await browser.newContext({ baseURL: curriculumURL })
  const page = await context.newPage()
  const intl = watchIntlErrors(page)
  let stopped = false
  try {
    const account = newStudent()
    await page.goto('/sign-up')
    await page.getByLabel('Nom affiché').fill(account.name)
    await page.getByLabel('Adresse e-mail').fill(account.email)
    await page.getByLabel('Mot de passe').fill(account.password)
    await page.getByRole('button', { name: 'Créer mon compte' }).click()
    await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible()
    await page.goto('/courses')
    await switchLocale(page, 'Langue', 'en')

    await page.goto('/courses/reseaux-docker/reseaux-par-defaut')
    const workspace = page.getByRole('region', { name: 'Lab workspace' })
    await expect(workspace.locator('[data-terminal-node="node1"]')).toHaveAttribute('data-terminal-state', 'open', { timeout: 120_000 })
    const panel = page.getByRole('region', { name: 'Exercises' }).last()
    await panel.getByRole('button', { name: 'Check', exact: true }).click()

    // Located from the page, not the panel: the panel's name changes with the language.
    const line = page.locator('[data-assertion="http:node1:http://localhost:8081/:status"]')
    await expect(line).toHaveAttribute('data-state', 'failed', { timeout: 30_000 })
    const message = line.locator('[data-message]')
    await expect(message).toHaveText('GET http://localhost:8081/ from node1 failed: nothing answers on localhost port 8081 (no service listens there, or the host cannot be reached)')
    const output = line.locator('details')
    await expect(output.locator('summary')).toHaveText('Tool output')
    await expect(output.locator('pre')).toBeHidden()
    await output.locator('summary').click()
    await expect(output.locator('pre')).toContainText('curl: (7) Failed to connect to localhost port 8081')
    // Screen-reader text: the line's state and the score, in English, English punctuation.
    await expect(line.locator('.sr-only').first()).toHaveText('Not yet:')
    await expect(panel.getByRole('status')).toHaveText(/^0\/\d+ check\(s\) passed$/)

    // The file panel's refusals, worded from their code.
    await workspace.getByRole('tab', { name: 'Files' }).click()
    const files = workspace.getByRole('region', { name: 'Lesson files' })
    page.once('dialog', (dialog) => void dialog.accept('../outside.txt'))
    await files.getByRole('button', { name: 'New file' }).click()
    await files.getByRole('button', { name: 'Save', exact: true }).click()
    await expect(files.getByRole('status')).toHaveText('“../outside.txt” leaves the lesson folder: give a path relative to that folder, without “..” or a link to outside it.')

    // Back to French: the same line, in French, the output unchanged.
    await switchLocale(page, 'Language', 'fr')
    await expect(message).toHaveText('GET http://localhost:8081/ depuis node1 a échoué : rien ne répond sur localhost, port 8081 (aucun service n’y écoute, ou l’hôte n’est pas joignable)')
    await expect(line.locator('details summary')).toHaveText('Sortie de l’outil')
    await expect(line.locator('.sr-only').first()).toHaveText('Pas encore :')
    // The panel's last announcement, re-read in the new language.
    await expect(page.getByRole('region', { name: 'Exercices' }).last().getByRole('status')).toHaveText(/^0\/\d+ vérification\(s\) réussie\(s\)$/)

    const espace = page.getByRole('region', { name: 'Espace de travail du lab' })
    await espace.getByRole('button', { name: 'Arrêter' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Arrêter' }).click()
    await expect(espace).toHaveAttribute('data-workspace-phase', 'ended', { timeout: 30_000 })
    stopped = true
    intl.expectNone()
  } finally {
    // A failure midway leaves no sandbox behind (the server reconciles only at its next start).
    if (!stopped) {
      await page
        .evaluate(async (lesson) => {
          const opened = await fetch('/api/sandboxes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lesson) })
          const { id } = (await opened.json()) as { id?: string }
          if (id) await fetch(`/api/sandboxes/${encodeURIComponent(id)}`, { method: 'DELETE' })
        }, { courseSlug: 'reseaux-docker', lessonSlug: 'reseaux-par-defaut' })
        .catch(() => undefined)
    }
    await context.close()
  }
})
