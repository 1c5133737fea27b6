import { expect, request, test, type APIRequestContext } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { instructorState, newStudent, signUp } from './support/accounts'
import { gotoLoaded } from './support/navigation'

// A class starts at 9:00 (issue 12): a learner whose sandbox waits in the start queue sees
// their place, then gets a terminal; an instructor schedules a class session from the class's
// page (French and English) and cancels it.

async function signedUpApi(): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  const response = await api.post('/api/auth/sign-up/email', { data: newStudent() })
  expect(response.ok()).toBe(true)
  return api
}

test('a learner whose sandbox start is queued sees their place in the queue, then the prompt', async ({ page }) => {
  test.setTimeout(180_000)
  // Eight other learners open the lab through the API just before: with two starts at a time
  // (QUAI_SANDBOX_START_CONCURRENCY's default), this learner's start waits behind them.
  const others = await Promise.all(Array.from({ length: 8 }, () => signedUpApi()))
  await signUp(page)
  const opens = others.map((api) => api.post('/api/sandboxes', { data: { courseSlug: 'demo', lessonSlug: 'labo' } }))
  try {
    await page.waitForTimeout(300)
    await gotoLoaded(page, '/courses/demo/labo')
    const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
    const place = workspace.getByTestId('start-queue-place')
    await expect(place).toHaveText(/^Démarrage… (\d+ avant vous|vous êtes le prochain)$/, { timeout: 20_000 })
    await expect(workspace.getByRole('progressbar', { name: 'Votre place dans la file de démarrage' })).toBeVisible()
    await expect(workspace.locator('[data-terminal-node="node1"]')).toHaveAttribute('data-terminal-state', 'open', { timeout: 120_000 })
    await expect(place).toBeHidden()
  } finally {
    // Every sandbox made here is stopped through the API.
    const answers = await Promise.all(opens)
    for (const [i, api] of others.entries()) {
      const body = (await answers[i]?.json().catch(() => null)) as { id?: string } | null
      if (body?.id) await api.delete(`/api/sandboxes/${body.id}`)
      await api.dispose()
    }
    const mine = await page.request.post('/api/sandboxes', { data: { courseSlug: 'demo', lessonSlug: 'labo' }, headers: { origin: baseURL } })
    const view = (await mine.json().catch(() => null)) as { id?: string } | null
    if (view?.id) await page.request.delete(`/api/sandboxes/${view.id}`, { headers: { origin: baseURL } })
  }
})

test('an instructor schedules a class session from the class page, in French and in English, and cancels it', async ({ browser }) => {
  // The instructor's browser is in Quai's time zone (lib/i18n/request.ts), as a school's would be.
  const context = await browser.newContext({ baseURL, storageState: instructorState, locale: 'fr-FR', timezoneId: 'Europe/Paris' })
  const page = await context.newPage()
  const created = await page.request.post('/api/classes', { data: { name: `Séance ${Date.now()}`, courses: ['demo'] }, headers: { origin: baseURL } })
  expect(created.ok()).toBe(true)
  const { id } = (await created.json()) as { id: string }

  await gotoLoaded(page, `/teach/classes/${id}/manage`)
  const sessions = page.getByRole('region', { name: 'Séances planifiées' })
  await expect(sessions.getByText('Aucune séance planifiée.')).toBeVisible()
  const form = sessions.getByRole('form', { name: 'Planifier une séance' })
  await expect(form.getByLabel('Leçon')).toBeVisible()
  // A date in the past is refused in the reader's language.
  await form.getByLabel('Date').fill('2020-01-06')
  await form.getByLabel('Heure').fill('09:00')
  await form.getByRole('button', { name: 'Planifier la séance' }).click()
  await expect(form.getByRole('alert')).toHaveText('La séance doit commencer dans le futur.')

  const nextYear = new Date().getFullYear() + 1
  await form.getByLabel('Date').fill(`${nextYear}-09-07`)
  await form.getByLabel('Heure').fill('09:00')
  await form.getByRole('button', { name: 'Planifier la séance' }).click()
  const entry = sessions.getByTestId('class-sessions').getByRole('listitem')
  await expect(entry).toHaveCount(1)
  await expect(entry).toContainText(`7 septembre ${nextYear} à 09:00`)

  // The same page in English.
  await context.addCookies([{ name: 'QUAI_LOCALE', value: 'en', url: baseURL }])
  await gotoLoaded(page, `/teach/classes/${id}/manage`)
  const sessionsEn = page.getByRole('region', { name: 'Scheduled sessions' })
  const formEn = sessionsEn.getByRole('form', { name: 'Schedule a session' })
  await expect(formEn.getByLabel('Lesson')).toBeVisible()
  await expect(formEn.getByLabel('Date')).toBeVisible()
  await expect(formEn.getByLabel('Time')).toBeVisible()
  await expect(formEn.getByRole('button', { name: 'Schedule the session' })).toBeVisible()
  await expect(sessionsEn.getByTestId('class-sessions').getByRole('listitem')).toContainText(`September 7, ${nextYear}`)

  // Cancelled: gone from the page and from the database (a second delete answers 404).
  const sessionId = await sessionsEn.getByTestId('class-sessions').getByRole('listitem').getAttribute('data-session')
  page.once('dialog', (dialog) => void dialog.accept())
  await sessionsEn.getByRole('button', { name: 'Cancel the session' }).click()
  await expect(sessionsEn.getByText('No session scheduled.')).toBeVisible()
  const again = await page.request.delete(`/api/classes/${id}/sessions/${sessionId}`, { headers: { origin: baseURL } })
  expect(again.status()).toBe(404)
  await context.close()
})
