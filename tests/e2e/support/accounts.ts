import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import { expect, type Page } from '@playwright/test'
import { gotoLoaded } from './navigation'

export const instructor = { email: 'instructor@quai.test', password: 'instructor-password', name: 'Prof Quai' }
export const instructorState = '.cache/e2e/fixtures/instructor.json'
/** The setup token start-server.sh minted for a server under test (the fixtures' is used by global-setup.ts). */
export const setupTokenFile = (server: string) => `.cache/e2e/${server}/setup-token`

/** A fresh setup token for a server under test, minted by the real CLI (`npm run setup:token`) on its database. */
export function mintSetupToken(server: string, url: string): string {
  const file = `.cache/e2e/${server}/setup-token-${randomUUID().slice(0, 8)}`
  execFileSync('npx', ['tsx', '--import', './scripts/node/register.mjs', 'scripts/setup-token.ts', '--write', file], {
    env: { ...process.env, DATABASE_URL: `file:./.cache/e2e/${server}/quai.db`, QUAI_URL: url },
    stdio: 'pipe',
  })
  const token = fs.readFileSync(file, 'utf8').trim()
  fs.rmSync(file)
  return token
}

export function newStudent() {
  const id = randomUUID().slice(0, 8)
  return { email: `student-${id}@quai.test`, password: `password-${id}`, name: `Élève ${id}` }
}

/** Signs up through the real form and waits until the header shows the account. */
export async function signUp(page: Page, account = newStudent()) {
  await gotoLoaded(page, '/sign-up')
  await page.getByLabel('Nom affiché').fill(account.name)
  await page.getByLabel('Adresse e-mail').fill(account.email)
  await page.getByLabel('Mot de passe').fill(account.password)
  await page.getByRole('button', { name: 'Créer mon compte' }).click()
  await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible()
  return account
}
