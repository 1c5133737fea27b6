import type { Locator, Page } from '@playwright/test'

/**
 * Fills the dashboard's "Mode épreuve" form (`section`) for a window from two minutes ago for an
 * hour, in the browser's own time zone (the form's inputs are local times), ticks the given
 * lessons and activates it.
 */
export async function activateExam(teacher: Page, section: Locator, lessons: (string | RegExp)[]): Promise<void> {
  const local = await teacher.evaluate(() => {
    const two = (n: number) => String(n).padStart(2, '0')
    const f = (d: Date) => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`
    return { start: f(new Date(Date.now() - 120_000)), end: f(new Date(Date.now() + 3_600_000)) }
  })
  const form = section.getByRole('form', { name: 'Régler le mode épreuve' })
  await form.getByLabel('Début').fill(local.start)
  await form.getByLabel('Fin').fill(local.end)
  for (const lesson of lessons) await form.getByRole('checkbox', { name: lesson }).check()
  await form.getByRole('button', { name: "Activer l'épreuve" }).click()
}
