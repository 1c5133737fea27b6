import { test as base } from '@playwright/test'
import { gotoRetryingCuts } from './navigation'

export { expect, request } from '@playwright/test'
export type { APIRequestContext, Browser, Locator, Page } from '@playwright/test'

/**
 * Playwright's `test` whose `page.goto` loads the page again when one of its requests was cut by
 * a network change on the host (./navigation.ts says why). Pages opened by hand
 * (browser.newContext()) use gotoLoaded.
 */
export const test = base.extend({
  page: async ({ page }, provide) => {
    const goto = page.goto.bind(page)
    page.goto = (url, options) => gotoRetryingCuts(page, goto, url, options)
    await provide(page)
  },
})
