import fs from 'node:fs'
import path from 'node:path'
import { request } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { instructor, instructorState, setupTokenFile } from './accounts'

// Nobody becomes an instructor by signing up: the fixtures server's instructor is made the way
// an installer makes theirs, with the setup token start-server.sh minted through
// `npm run setup:token`'s script before the server started.
export default async function globalSetup() {
  const token = fs.readFileSync(setupTokenFile('fixtures'), 'utf8').trim()
  const context = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  const claim = await context.post('/setup/claim', { data: { token, account: instructor } })
  if (claim.status() !== 201) throw new Error(`could not create the instructor account with the setup token: ${claim.status()} ${await claim.text()}`)
  const signIn = await context.post('/api/auth/sign-in/email', { data: { email: instructor.email, password: instructor.password } })
  if (!signIn.ok()) throw new Error(`could not sign the instructor in: ${signIn.status()} ${await signIn.text()}`)
  if ((await signIn.json()).user.role !== 'instructor') throw new Error('the setup token did not make an instructor')
  fs.mkdirSync(path.dirname(instructorState), { recursive: true })
  await context.storageState({ path: instructorState })
  await context.dispose()
}
