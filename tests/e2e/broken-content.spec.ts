import { expect, request, test } from '@playwright/test'
import { brokenContentURL } from '../../playwright.config'
import { newStudent } from './support/accounts'

// A server started on content with errors (tests/fixtures/content-broken), on a fresh database:
// a learner gets a page that says the lesson is unavailable, never a blank page or a crash,
// and its author sees why. Its first accounts also race for the instructor role.
test.use({ baseURL: brokenContentURL })

test('a broken lesson shows a clear page to learners and its problems to the instructor; racing first sign-ups make one instructor', async ({ browser }) => {
  // On a fresh installation the first account is the instructor, even when several sign up at once.
  const accounts = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const api = await request.newContext({ baseURL: brokenContentURL, extraHTTPHeaders: { origin: brokenContentURL } })
      const response = await api.post('/api/auth/sign-up/email', { data: newStudent() })
      expect(response.ok()).toBe(true)
      return api
    }),
  )
  const teachStatus = await Promise.all(accounts.map(async (api) => (await api.get('/teach', { maxRedirects: 0 })).status()))
  expect(teachStatus.filter((s) => s === 200)).toHaveLength(1)
  const instructorState = await accounts[teachStatus.indexOf(200)]!.storageState()
  const studentState = await accounts[teachStatus.findIndex((s) => s !== 200)]!.storageState()

  const instructorContext = await browser.newContext({ baseURL: brokenContentURL, locale: 'fr-FR', storageState: instructorState })
  const instructorPage = await instructorContext.newPage()
  for (const lesson of ['frontmatter', 'liens']) {
    const response = await instructorPage.goto(`/courses/bad/${lesson}`)
    expect(response?.status(), lesson).toBe(200)
    const alert = instructorPage.getByRole('alert').filter({ hasText: 'Leçon momentanément indisponible' })
    await expect(alert).toBeVisible()
    await alert.getByText('Détails pour les auteur·es').click()
    await expect(alert.locator('li').first()).toContainText(lesson === 'liens' ? /import\/export|unknown component|JavaScript expressions/ : /duration|objectives|title/)
  }
  await instructorContext.close()

  const studentContext = await browser.newContext({ baseURL: brokenContentURL, locale: 'fr-FR', storageState: studentState })
  const student = await studentContext.newPage()
  await student.goto('/courses/bad/frontmatter')
  const alert = student.getByRole('alert').filter({ hasText: 'Leçon momentanément indisponible' })
  await expect(alert).toContainText('les autres leçons restent accessibles')
  await expect(alert.getByText('Détails pour les auteur·es')).toHaveCount(0)
  // The course and its navigation stay usable around the broken lesson.
  await expect(student.getByRole('navigation').getByRole('link', { name: 'Cours cassé' })).toBeVisible()
  await student.goto('/courses/bad')
  await expect(student.getByRole('heading', { level: 1 })).toBeVisible()
  await studentContext.close()
  await Promise.all(accounts.map((api) => api.dispose()))
})
