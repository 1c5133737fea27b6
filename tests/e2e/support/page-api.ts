import type { Page } from '@playwright/test'

/**
 * A call to Quai's API made by the page itself: its cookies and origin, and names that only the
 * browser resolves (*.localhost, --host-resolver-rules). `json` is null when the answer is not JSON.
 */
export async function callFromPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await response.text()
      let json: unknown = null
      try {
        json = JSON.parse(text)
      } catch {
        // not JSON
      }
      return { status: response.status, json, text }
    },
    { method, path, body },
  )
}
