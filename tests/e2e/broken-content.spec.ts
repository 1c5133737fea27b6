import fs from 'node:fs'
import { expect, request, test } from './support/test'
import { brokenContentURL } from '../../playwright.config'
import { newStudent, setupTokenFile } from './support/accounts'

// A server started on content with errors (tests/fixtures/content-broken), on a fresh database:
// a learner gets a page that says the lesson is unavailable, never a blank page or a crash,
// and its author sees why. Its instructor is made the installer's way, with a setup token.
test.use({ baseURL: brokenContentURL })

test('a broken lesson shows a clear page to learners and its problems to the instructor', async ({ browser }) => {
  const accounts = await Promise.all(
    Array.from({ length: 2 }, async () => {
      const api = await request.newContext({ baseURL: brokenContentURL, extraHTTPHeaders: { origin: brokenContentURL } })
      const response = await api.post('/api/auth/sign-up/email', { data: newStudent() })
      expect(response.ok()).toBe(true)
      return api
    }),
  )
  // Signing up first makes nobody an instructor: the setup token start-server.sh minted does.
  const [instructorApi, studentApi] = [accounts[0]!, accounts[1]!]
  expect((await instructorApi.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  const token = fs.readFileSync(setupTokenFile('broken'), 'utf8').trim()
  expect((await instructorApi.post('/setup/claim', { data: { token } })).status()).toBe(200)
  expect((await instructorApi.get('/teach', { maxRedirects: 0 })).status()).toBe(200)
  expect((await studentApi.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  const instructorState = await instructorApi.storageState()
  const studentState = await studentApi.storageState()

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
