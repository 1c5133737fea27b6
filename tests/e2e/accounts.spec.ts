import { expect, request, test } from '@playwright/test'
import { baseURL } from '../../playwright.config'
import { newStudent } from './support/accounts'

// Roles are never taken from the client. The fixtures server's first account, its instructor,
// is created by support/global-setup.ts; every later sign-up is a student, whatever its body says.
test('a sign-up body carrying role "instructor" makes a student; updating one\'s own role is refused', async () => {
  const account = newStudent()
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  try {
    const response = await api.post('/api/auth/sign-up/email', { data: { ...account, role: 'instructor' } })
    expect(response.ok(), await response.text()).toBe(true)
    expect((await response.json()).user.role).toBe('student')
    expect((await (await api.get('/api/auth/get-session')).json()).user.role).toBe('student')
    expect((await api.get('/teach', { maxRedirects: 0 })).status()).toBe(403)

    // Nor can the account promote itself afterwards.
    const update = await api.post('/api/auth/update-user', { data: { role: 'instructor' } })
    expect(update.status(), await update.text()).toBe(400)
    expect((await (await api.get('/api/auth/get-session')).json()).user.role).toBe('student')
    expect((await api.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  } finally {
    await api.dispose()
  }

  // What is stored: a new session, from a fresh sign-in, is still a student's.
  const again = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  try {
    const signIn = await again.post('/api/auth/sign-in/email', { data: { email: account.email, password: account.password } })
    expect(signIn.ok(), await signIn.text()).toBe(true)
    expect((await signIn.json()).user.role).toBe('student')
    expect((await again.get('/teach', { maxRedirects: 0 })).status()).toBe(403)
  } finally {
    await again.dispose()
  }
})
