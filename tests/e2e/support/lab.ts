import { expect, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { gotoLoaded } from './navigation'

/** Opens the fixtures' hands-on lesson and waits until node1's terminal is connected to a real sandbox. */
export async function openLab(page: Page) {
  await gotoLoaded(page, '/courses/demo/labo')
  const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
  const terminal = workspace.locator('[data-terminal-node="node1"]')
  await expectTerminalOpen(workspace, terminal)
  return { workspace, terminal }
}

/** Waits until the terminal is open; a failure says what the workspace showed instead (a queue, an error). */
export async function expectTerminalOpen(workspace: Locator, terminal: Locator, timeout = 90_000): Promise<void> {
  await expect(terminal)
    .toHaveAttribute('data-terminal-state', 'open', { timeout })
    .catch(async (error: unknown) => {
      const state = await terminal.getAttribute('data-terminal-state').catch(() => null)
      const shown = (await workspace.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 600)
      throw new Error(`the terminal is not open after ${timeout} ms (state ${state}); the workspace shows: ${shown}`, { cause: error })
    })
}

/**
 * Stops the learner's sandbox for a lesson through the API, whatever state the page is in: for
 * a test's `finally`, so that a failure midway leaves nothing running (a fork bomb would load
 * every test after it; the server reconciles only at its next start).
 */
export async function stopLabSandbox(page: Page, lesson = { courseSlug: 'demo', lessonSlug: 'labo' }): Promise<void> {
  await page
    .evaluate(async (body) => {
      const opened = await fetch('/api/sandboxes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const { id } = (await opened.json()) as { id?: string }
      if (id) await fetch(`/api/sandboxes/${encodeURIComponent(id)}`, { method: 'DELETE' })
    }, lesson)
    .catch(() => undefined)
}

/** Opens a port published in the sandbox from the Ports tab (refreshing until it is listed), in a new tab. */
export async function openPublishedPort(workspace: Locator, context: BrowserContext, node: string, port: number): Promise<Page> {
  await workspace.getByRole('tab', { name: 'Ports' }).click()
  const link = workspace.getByRole('link', { name: `Ouvrir ${node}:${port} dans un nouvel onglet` })
  await expect(async () => {
    await workspace.getByRole('button', { name: 'Actualiser' }).click()
    await expect(link).toBeVisible({ timeout: 2000 })
  }).toPass({ timeout: 60_000 })
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()])
  return tab
}

/** Clicks "Vérifier" on an exercise and resolves with the answer of that check (a live result may show first). */
export async function checkExercise(page: Page, exercise: Locator) {
  const checked = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/exercises/check', { timeout: 30_000 })
  await exercise.getByRole('button', { name: 'Vérifier' }).click()
  return checked
}

type TerminalStates = { state: string; at: number }[]

/** From now on, records in the page each change of the terminal's state (open, reconnecting...) and when. */
export async function watchTerminalStates(terminal: Locator): Promise<void> {
  await terminal.evaluate((element) => {
    const w = window as unknown as { quaiStates: TerminalStates }
    w.quaiStates = []
    new MutationObserver(() => w.quaiStates.push({ state: element.getAttribute('data-terminal-state') ?? '', at: Date.now() })).observe(element, {
      attributes: true,
      attributeFilter: ['data-terminal-state'],
    })
  })
}

/** The states watchTerminalStates recorded. */
export const terminalStates = (page: Page): Promise<TerminalStates> => page.evaluate(() => (window as unknown as { quaiStates: TerminalStates }).quaiStates)
