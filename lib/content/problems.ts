import path from 'node:path'
import type { z } from 'zod'

/** One thing wrong in the content, located by file and field so an author can fix it. */
export type ContentProblem = { file: string; field: string; message: string }

export function problemsFromZod(file: string, error: z.ZodError, prefix = ''): ContentProblem[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? `.${issue.keys.join(',')}` : ''
    const field = [prefix, issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')]
      .join('')
      .replace(/^\./, '')
    return { file, field: `${field}${keys}`.replace(/^\./, '') || '(root)', message: issue.message }
  })
}

export function formatProblem(problem: ContentProblem, root: string = process.cwd()): string {
  return `${path.relative(root, problem.file)}: ${problem.field}: ${problem.message}`
}

export class ContentError extends Error {
  constructor(readonly problems: ContentProblem[]) {
    super(problems.map((p) => formatProblem(p)).join('\n'))
  }
}

/**
 * Names the exercise a field belongs to by its id as well as its index, keeping the path:
 * "exercises[0].checks[1].drivr" → "exercises[0] (creer-reseau).checks[1].drivr".
 * `ids` are the exercises' ids as written in the file, by index (undefined when missing).
 */
export function withExerciseId(field: string, ids: readonly (string | undefined)[]): string {
  return field.replace(/^exercises\[(\d+)\](?! \()/, (whole, index: string) => {
    const id = ids[Number(index)]
    return id ? `${whole} (${id})` : whole
  })
}
