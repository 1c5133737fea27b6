// Quai's own regular expressions in the code that reads learner-controlled text (checks,
// quiz grading, the text helpers) run on V8's backtracking engine: each must be linear there.
// recheck analyses every literal as V8 would run it (with its flags, from every start position);
// `^\s*FROM\s+(.+?)\s*$`, which read Dockerfiles in lib/checks/probes.ts, was cubic.
import fs from 'node:fs'
import path from 'node:path'
import { checkSync } from 'recheck'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const root = path.resolve(import.meta.dirname, '..', '..', '..')
const folders = ['lib/checks', 'lib/quiz', 'lib/text']

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(file)
    return /\.tsx?$/.test(entry.name) ? [file] : []
  })
}

function regexLiterals(file: string): { where: string; source: string; flags: string }[] {
  const text = fs.readFileSync(file, 'utf8')
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: { where: string; source: string; flags: string }[] = []
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(sourceFile)
      const end = literal.lastIndexOf('/')
      const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1
      // g and y change where a search starts, not how one attempt backtracks.
      found.push({ where: `${path.relative(root, file)}:${line} ${literal}`, source: literal.slice(1, end), flags: literal.slice(end + 1).replace(/[gy]/g, '') })
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  return found
}

describe("Quai's own patterns on learner-controlled text", () => {
  const literals = folders.filter((folder) => fs.existsSync(path.join(root, folder))).flatMap((folder) => sourceFiles(path.join(root, folder))).flatMap(regexLiterals)

  test('there are some to check (the scan works)', () => {
    expect(literals.length).toBeGreaterThan(20)
  })

  test('none backtracks super-linearly in V8', { timeout: 60_000 }, () => {
    const vulnerable = literals.flatMap(({ where, source, flags }) => {
      const diagnostics = checkSync(source, flags)
      return diagnostics.status === 'vulnerable' ? [`${where}: ${diagnostics.complexity.summary}`] : []
    })
    expect(vulnerable).toEqual([])
  })
})
