import { expect, type Page } from '@playwright/test'

/** Opens the fixtures' hands-on lesson and waits until node1's terminal is connected to a real sandbox. */
export async function openLab(page: Page) {
  await page.goto('/courses/demo/labo')
  const workspace = page.getByRole('region', { name: 'Espace de travail du lab' })
  const terminal = workspace.locator('[data-terminal-node="node1"]')
  await expect(terminal).toHaveAttribute('data-terminal-state', 'open', { timeout: 90_000 })
  return { workspace, terminal }
}
