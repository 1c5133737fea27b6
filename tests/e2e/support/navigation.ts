import type { Page, Request } from '@playwright/test'

/**
 * Goes to `url` and loads it again while one of its requests was cut by the machine rather than
 * the server: Chromium aborts requests in flight with ERR_NETWORK_CHANGED whenever an interface
 * comes or goes on this host, and every sandbox the tests start adds a bridge and veth pairs.
 * A page that lost one of its scripts that way never hydrates (its forms stay disabled).
 */
export async function gotoLoaded(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const cut: string[] = []
    const listener = (request: Request) => {
      if (request.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) cut.push(request.url())
    }
    page.on('requestfailed', listener)
    try {
      await page.goto(url)
      await page.waitForLoadState('load')
    } catch (error) {
      if (!String(error).includes('ERR_NETWORK_CHANGED') || attempt >= 3) throw error
      cut.push(url)
    } finally {
      page.off('requestfailed', listener)
    }
    if (cut.length === 0) return
    if (attempt >= 3) throw new Error(`${url}: requests cut by network changes three times in a row: ${cut.join(', ')}`)
  }
}
