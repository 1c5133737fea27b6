import type { Page, Request, Response } from '@playwright/test'

/**
 * Goes to `url` and loads it again while one of its requests was cut by the machine rather than
 * the server: Chromium aborts requests in flight with ERR_NETWORK_CHANGED whenever an interface
 * comes or goes on this host, and every sandbox the tests start adds a bridge and veth pairs.
 * A page that lost one of its scripts that way never hydrates (its forms stay disabled, its
 * buttons do nothing). The `page` of ./test.ts goes through this on every goto.
 */
export async function gotoLoaded(page: Page, url: string): Promise<void> {
  await gotoRetryingCuts(page, page.goto.bind(page), url)
}

/** `goto` (a page's own, before ./test.ts wraps it) until no request of the page was cut, three times at most. */
export async function gotoRetryingCuts(page: Page, goto: Page['goto'], url: string, options?: Parameters<Page['goto']>[1]): Promise<Response | null> {
  for (let attempt = 1; ; attempt++) {
    const cut: string[] = []
    const listener = (request: Request) => {
      if (request.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) cut.push(request.url())
    }
    page.on('requestfailed', listener)
    let response: Response | null = null
    try {
      response = await goto(url, options)
      if (!options?.waitUntil) await page.waitForLoadState('load')
    } catch (error) {
      if (!String(error).includes('ERR_NETWORK_CHANGED') || attempt >= 3) throw error
      cut.push(url)
    } finally {
      page.off('requestfailed', listener)
    }
    if (cut.length === 0) return response
    if (attempt >= 3) throw new Error(`${url}: requests cut by network changes three times in a row: ${cut.join(', ')}`)
  }
}
