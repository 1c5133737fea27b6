import path from 'node:path'
import { expect, test } from './support/test'
import { loadContentTree } from '../../lib/content/load.server'
import { curriculumURL } from '../../playwright.config'
import { watchIntlErrors } from './support/intl-guard'

// Every lesson of the shipped curriculum renders for a visitor: title, body, no error panel, and
// no message its client components read is missing from the page (intl-guard.ts).
const tree = loadContentTree(path.join(process.cwd(), 'content'))
const lessons = tree.courses.flatMap((course) => course.lessons.map((lesson) => ({ course, lesson })))

test('the catalogue lists every course', async ({ page }) => {
  await page.goto(`${curriculumURL}/`)
  for (const course of tree.courses) await expect(page.getByRole('link', { name: course.index!.title, exact: true })).toBeVisible()
})

for (const { course, lesson } of lessons) {
  test(`lesson ${course.slug}/${lesson.slug} renders`, async ({ page }) => {
    const intl = watchIntlErrors(page)
    const response = await page.goto(`${curriculumURL}/courses/${course.slug}/${lesson.slug}`)
    expect(response?.status()).toBe(200)
    await expect(page.getByRole('heading', { level: 1, name: lesson.frontmatter!.title })).toBeVisible()
    await expect(page.getByText('Leçon momentanément indisponible')).toHaveCount(0)
    await expect(page.locator('.lesson-prose h2').first()).toBeVisible()
    intl.expectNone()
  })
}
