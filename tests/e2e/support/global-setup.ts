import fs from 'node:fs'
import path from 'node:path'
import { request } from '@playwright/test'
import { baseURL } from '../../../playwright.config'
import { instructor, instructorState } from './accounts'

// The first account of an installation becomes its instructor: create it before any test runs.
export default async function globalSetup() {
  const context = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } })
  const response = await context.post('/api/auth/sign-up/email', { data: instructor })
  if (!response.ok()) throw new Error(`could not create the instructor account: ${response.status()} ${await response.text()}`)
  fs.mkdirSync(path.dirname(instructorState), { recursive: true })
  await context.storageState({ path: instructorState })
  await context.dispose()
}
