import { expect, type Page } from '@playwright/test'

// Each page hands its client components only the messages they read (lib/i18n/client-messages.ts).
// A client component that asks for one the page did not send gets next-intl's fallback text
// and next-intl logs the error to the browser console (MISSING_MESSAGE in production too):
// this collects those, so that a spec can fail on them.

const intlError = /MISSING_MESSAGE|INSUFFICIENT_PATH|INVALID_KEY|INVALID_MESSAGE|FORMATTING_ERROR|ENVIRONMENT_FALLBACK|IntlError/

export function watchIntlErrors(page: Page) {
  const errors: string[] = []
  // Each distinct error once, without its stack: a missing key logs at every render.
  const add = (text: string) => {
    const line = `${new URL(page.url()).pathname}: ${text.split('\n')[0]}`
    if (!errors.includes(line)) errors.push(line)
  }
  page.on('console', (message) => {
    if ((message.type() === 'error' || message.type() === 'warning') && intlError.test(message.text())) add(message.text())
  })
  page.on('pageerror', (error) => {
    if (intlError.test(String(error))) add(String(error))
  })
  return {
    errors,
    /** Fails with every message error seen in the browser since the page was watched. */
    expectNone: () => expect(errors, 'next-intl errors in the browser console').toEqual([]),
  }
}
