// The matrix's cells travel from the server page to the browser as one short string per
// student (a class of 300 × 20 lessons would otherwise be 6,000 small arrays in the payload).
// Plain module: the server page encodes, the client component decodes.

export type CellCode = { status: 0 | 1 | 2; quiz: number | null; exercises: number }

/** "status.quiz.exercises" per cell, comma-separated: "2.80.2,1.-1.0,0.-1.0" (quiz -1: none). */
export function encodeCells(cells: readonly CellCode[]): string {
  return cells.map((c) => `${c.status}.${c.quiz ?? -1}.${c.exercises}`).join(',')
}

export function decodeCells(text: string): CellCode[] {
  if (!text) return []
  return text.split(',').map((cell) => {
    const [s, q, e] = cell.split('.').map(Number)
    return { status: s === 2 ? 2 : s === 1 ? 1 : 0, quiz: q === undefined || q < 0 ? null : q, exercises: e ?? 0 }
  })
}
