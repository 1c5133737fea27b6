import { randomUUID } from 'node:crypto'
import { expect, type Page } from '@playwright/test'

export const instructor = { email: 'instructor@quai.test', password: 'instructor-password', name: 'Prof Quai' }
export const instructorState = '.cache/e2e/fixtures/instructor.json'

export function newStudent() {
  const id = randomUUID().slice(0, 8)
  return { email: `student-${id}@quai.test`, password: `password-${id}`, name: `Élève ${id}` }
}

/** Signs up through the real form and waits until the header shows the account. */
export async function signUp(page: Page, account = newStudent()) {
  await page.goto('/sign-up')
  await page.getByLabel('Nom affiché').fill(account.name)
  await page.getByLabel('Adresse e-mail').fill(account.email)
  await page.getByLabel('Mot de passe').fill(account.password)
  await page.getByRole('button', { name: 'Créer mon compte' }).click()
  await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible()
  return account
}
