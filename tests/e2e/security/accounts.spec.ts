import { expect, request, test } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { newStudent } from '../support/accounts'

// After signing in, `?next=` leads only to a path on Quai's own origin (lib/auth/next-path.ts).
const nasty = ['/\\evil.example', '/%09/evil.example', '/%5Cevil.example', '%2F%2Fevil.example', '/%0D%0A/evil.example', 'https://evil.example/', 'javascript:alert(1)']

test('signing in with a nasty ?next= stays on Quai\'s origin', async ({ page }) => {
  const account = newStudent()
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  expect((await api.post('/api/auth/sign-up/email', { data: account })).ok()).toBe(true)
  await api.dispose()

  // Anything that leaves for evil.example is caught here rather than waiting for a DNS failure.
  const offSite: string[] = []
  await page.route((url) => url.hostname.endsWith('evil.example'), (route) => {
    offSite.push(route.request().url())
    return route.abort()
  })
  for (const next of nasty) {
    await page.context().clearCookies()
    // Typed into the address bar as is: the query keeps its percent-encoding.
    await page.goto(`/sign-in?next=${next}`)
    await page.getByLabel('Adresse e-mail').fill(account.email)
    await page.getByLabel('Mot de passe').fill(account.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible()
    await page.waitForLoadState('networkidle')
    expect(new URL(page.url()).origin, next).toBe(baseURL)
    expect(new URL(page.url()).pathname, next).toBe('/')
  }
  expect(offSite).toEqual([])

  // A local path is still followed.
  await page.context().clearCookies()
  await page.goto(`/sign-in?next=${encodeURIComponent('/courses/demo?x=1')}`)
  await page.getByLabel('Adresse e-mail').fill(account.email)
  await page.getByLabel('Mot de passe').fill(account.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await expect(page).toHaveURL(`${baseURL}/courses/demo?x=1`)
})
