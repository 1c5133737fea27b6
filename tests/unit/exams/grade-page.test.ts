import { describe, expect, it } from 'vitest'
import { gradePage, gradeSheetPageSize } from '@/lib/exams/grades'

// The grade sheet's own page shows gradeSheetPageSize students at a time: which ones.

describe('gradePage', () => {
  it('cuts the students into pages of the given size, counting from 1', () => {
    expect(gradePage(5, 1, 2)).toEqual({ page: 1, pages: 3, size: 2, students: 5, offset: 0 })
    expect(gradePage(5, 3, 2)).toEqual({ page: 3, pages: 3, size: 2, students: 5, offset: 4 })
    expect(gradePage(300, 2).offset).toBe(gradeSheetPageSize)
  })

  it('keeps one page for an empty class and brings a page out of range back into it', () => {
    expect(gradePage(0, 1, 2)).toEqual({ page: 1, pages: 1, size: 2, students: 0, offset: 0 })
    expect(gradePage(5, 9, 2).page).toBe(3)
    expect(gradePage(5, 0, 2).page).toBe(1)
    expect(gradePage(5, -4, 2).page).toBe(1)
    expect(gradePage(5, Number.NaN, 2).page).toBe(1)
    expect(gradePage(5, 1.5, 2).page).toBe(1)
  })
})
