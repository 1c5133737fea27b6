import { expect, test, type Locator, type Page } from './support/test'
import { signUp } from './support/accounts'
import { expectTerminalOpen, openLab } from './support/lab'

// The hands-on lesson is one screen from 1024 px wide (Tailwind's lg): the site header, then the
// lesson text and the sandbox side by side, each scrolling on its own. Scrolling either column
// to its end must not move the page: the sandbox header (time left, Réinitialiser, Arrêter)
// stays where it was and nothing blank appears under the columns. It used to move by 256-494 px:
// screen-reader-only text (position: absolute) deep in a column was positioned against the
// document instead of its column, so the document grew past the window and scrolled along.
// Below lg the columns stack: the text first, then the sandbox filling the window.

type Box = { top: number; bottom: number }
type Layout = { viewport: number; scrollY: number; documentHeight: number; siteHeader: Box; main: Box; text: Box; panel: Box; header: Box }

async function measure(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const box = (element: Element | null | undefined) => {
      if (!element) throw new Error('element missing')
      const r = element.getBoundingClientRect()
      return { top: r.top, bottom: r.bottom }
    }
    const main = document.querySelector('main[data-hands-on]')
    return {
      viewport: window.innerHeight,
      scrollY: window.scrollY,
      documentHeight: document.scrollingElement?.scrollHeight ?? 0,
      siteHeader: box(document.querySelector('body > header')),
      main: box(main),
      text: box(main?.children[0]),
      panel: box(main?.children[1]),
      header: box(document.querySelector('section[data-workspace-phase] > header')),
    }
  })
}

/** Scrolls `column` to its end with the mouse wheel, as a learner does (the wheel is what used to chain to the document). */
async function wheelToEnd(page: Page, column: Locator) {
  const box = await column.boundingBox()
  if (!box) throw new Error('column not shown')
  const viewport = page.viewportSize()!
  const bottom = Math.min(box.y + box.height, viewport.height)
  await page.mouse.move(box.x + box.width / 2, (Math.max(box.y, 0) + bottom) / 2)
  await expect(async () => {
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 600)
    expect(await column.evaluate((el) => el.scrollHeight - el.clientHeight - el.scrollTop)).toBeLessThanOrEqual(1)
  }).toPass({ timeout: 15_000 })
  // A few more turns of the wheel at the end: nothing left to scroll in the column.
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, 600)
  await page.waitForTimeout(300)
}

/** Brings the column's last element into view from script (what focus and "open the exercise" do). */
async function scrollLastIntoView(column: Locator) {
  await column.evaluate((el) => {
    let last: Element = el
    while (last.lastElementChild) last = last.lastElementChild
    last.scrollIntoView({ block: 'end' })
  })
}

/** The page has not moved from `before`: same sandbox header, the document does not scroll, no band under the columns. */
function expectSteady(now: Layout, before: Layout, what: string) {
  expect(now.scrollY, `${what}: the document scrolled`).toBe(0)
  expect(now.documentHeight, `${what}: the document is taller than the window`).toBeLessThanOrEqual(now.viewport)
  expect(now.header.top, `${what}: the sandbox header moved`).toBeCloseTo(before.header.top, 0)
  expect(now.header.top, `${what}: the sandbox header is under the site header`).toBeGreaterThanOrEqual(now.siteHeader.bottom - 1)
  for (const [name, box] of [['main', now.main], ['lesson text', now.text], ['sandbox', now.panel]] as const) {
    expect(Math.abs(box.bottom - now.viewport), `${what}: the ${name} ends ${now.viewport - box.bottom} px above the window's bottom`).toBeLessThanOrEqual(1)
  }
}

const locales = {
  fr: { workspace: 'Espace de travail du lab', exercises: 'Exercices', exercise: 'Exercice', check: 'Vérifier', reset: 'Réinitialiser', stop: 'Arrêter', timeLeft: /Temps restant/ },
  en: { workspace: 'Lab workspace', exercises: 'Exercises', exercise: 'Exercise', check: 'Check', reset: 'Reset', stop: 'Stop', timeLeft: /Time left/ },
} as const

test('scrolling the lesson or the exercises to their end leaves the sandbox header in place, at 1500×950 and 1280×720, in French and in English', async ({ page }) => {
  test.setTimeout(240_000)
  await signUp(page)
  for (const locale of ['fr', 'en'] as const) {
    const words = locales[locale]
    if (locale === 'en') {
      await page.getByLabel('Langue').selectOption('en')
      await expect(page.locator('html')).toHaveAttribute('lang', 'en')
    }
    for (const size of [{ width: 1500, height: 950 }, { width: 1280, height: 720 }]) {
      const what = `${locale} ${size.width}×${size.height}`
      await page.setViewportSize(size)
      if (locale === 'fr') await openLab(page)
      else {
        await page.goto('/courses/demo/labo')
        const workspace = page.getByRole('region', { name: words.workspace })
        await expectTerminalOpen(workspace, workspace.locator('[data-terminal-node="node1"]'))
      }
      const workspace = page.getByRole('region', { name: words.workspace })
      const header = workspace.locator(':scope > header')
      await expect(header.getByText(words.timeLeft)).toBeVisible()
      // The workspace's scrolling box (the exercise panel inside it has the same name).
      const exercises = workspace.getByRole('region', { name: words.exercises }).first()
      // A checklist on screen: its lines carry screen-reader-only text, the kind that moved the page.
      await exercises.getByRole('button', { name: words.check, exact: true }).first().click()
      await expect(exercises.locator('[data-assertion]').first()).toBeVisible({ timeout: 30_000 })
      const text = page.locator('main[data-hands-on] > :first-child')

      const before = await measure(page)
      expectSteady(before, before, `${what}, at the start`)
      await wheelToEnd(page, text)
      expectSteady(await measure(page), before, `${what}, lesson text scrolled to its end`)
      await wheelToEnd(page, exercises)
      expectSteady(await measure(page), before, `${what}, exercises scrolled to their end`)
      // Opening an exercise scrolls it into view (ExercisePanel): the panel, not the page.
      for (const n of [2, 1]) {
        await exercises.getByRole('button', { name: `${words.exercise} ${n}` }).click()
        await page.waitForTimeout(800)
        expectSteady(await measure(page), before, `${what}, exercise ${n} opened`)
        await wheelToEnd(page, exercises)
        expectSteady(await measure(page), before, `${what}, exercise ${n} opened and scrolled to the end`)
      }
      await scrollLastIntoView(text)
      await scrollLastIntoView(exercises)
      expectSteady(await measure(page), before, `${what}, last elements scrolled into view`)
      for (const name of [words.reset, words.stop]) await expect(header.getByRole('button', { name, exact: true })).toBeInViewport({ ratio: 1 })
    }
  }
})

test('below 1024 px the columns stack: the text, then the sandbox filling the window, and the page ends with it', async ({ page }) => {
  test.setTimeout(180_000)
  await signUp(page)
  for (const size of [{ width: 900, height: 800 }, { width: 390, height: 844 }]) {
    const what = `${size.width}×${size.height}`
    await page.setViewportSize(size)
    const { workspace, terminal } = await openLab(page)
    const start = await measure(page)
    expect(start.panel.top, `${what}: the sandbox comes after the text`).toBeGreaterThanOrEqual(start.text.bottom - 1)

    // The end of the page: the sandbox fills the window under the site header, nothing under it.
    await page.keyboard.press('End')
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight))
    const end = await measure(page)
    expect(end.scrollY, `${what}: the page scrolls`).toBeGreaterThan(0)
    expect(end.header.top, `${what}: the sandbox header is hidden under the site header`).toBeGreaterThanOrEqual(end.siteHeader.bottom - 1)
    expect(Math.abs(end.panel.bottom - end.viewport), `${what}: the sandbox ends ${end.viewport - end.panel.bottom} px above the window's bottom`).toBeLessThanOrEqual(1)
    await expect(workspace.locator(':scope > header').getByRole('button', { name: 'Arrêter' })).toBeInViewport({ ratio: 1 })
    // The terminal has room to work in, and works.
    expect((await terminal.boundingBox())?.height ?? 0, `${what}: the terminal is too small`).toBeGreaterThan(160)
    await terminal.locator('.xterm').click()
    // The screen of the previous size comes back with the same shell, so each size echoes its own line.
    await page.keyboard.type(`echo etroit-$((${size.width}+5))\n`)
    await expect(terminal.locator('.xterm-rows > div', { hasText: new RegExp(`^etroit-${size.width + 5}\\s*$`) })).toBeVisible({ timeout: 30_000 })
  }
})
