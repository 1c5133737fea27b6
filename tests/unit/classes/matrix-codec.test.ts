import { describe, expect, it } from 'vitest'
import { decodeCells, encodeCells } from '@/components/teach/matrix-codec'

describe('matrix cells on the wire', () => {
  it('round-trip status, quiz score (or none) and exercises passed', () => {
    const cells = [
      { status: 2 as const, quiz: 80, exercises: 2 },
      { status: 1 as const, quiz: null, exercises: 0 },
      { status: 0 as const, quiz: 0, exercises: 0 },
    ]
    expect(encodeCells(cells)).toBe('2.80.2,1.-1.0,0.0.0')
    expect(decodeCells(encodeCells(cells))).toEqual(cells)
    expect(decodeCells('')).toEqual([])
  })
})
