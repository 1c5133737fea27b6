import 'server-only'
import fs from 'node:fs'
import pLimit from 'p-limit'
import { bundleMDX } from 'mdx-bundler'
import rehypePrettyCode from 'rehype-pretty-code'
import rehypeSlug from 'rehype-slug'
import remarkGfm from 'remark-gfm'
import { newReport, rehypeCollectToc, rehypeEmptyCodeLines, rehypeStaticHtml, remarkLessonRules, type CompileReport, type TocEntry } from './mdx-plugins'

export type CompiledLesson = {
  code: string
  toc: TocEntry[]
  exerciseRefs: string[]
  openQuestionRefs: string[]
  links: string[]
  mtimeMs: number
}

export class LessonCompileError extends Error {
  constructor(
    readonly file: string,
    readonly reasons: string[],
  ) {
    super(`${file}: ${reasons.join('; ')}`)
  }
}

// esbuild and the MDX pipeline are memory-hungry: compile one lesson at a time, with a deadline.
const queue = pLimit(1)
const compileTimeoutMs = 30_000

async function compileSource(file: string, source: string, mtimeMs: number): Promise<CompiledLesson> {
  const report: CompileReport = newReport()
  let result: Awaited<ReturnType<typeof bundleMDX>>
  try {
    result = await bundleMDX({
      source,
      mdxOptions(options) {
        options.remarkPlugins = [...(options.remarkPlugins ?? []), remarkGfm, remarkLessonRules(report)]
        options.rehypePlugins = [
          ...(options.rehypePlugins ?? []),
          rehypeSlug,
          rehypeCollectToc(report),
          // The copy and run buttons read the highlighted block's text in the page (CodeBlock).
          [rehypePrettyCode, { theme: 'github-light', keepBackground: false, defaultLang: { block: 'text' } }],
          rehypeEmptyCodeLines,
          rehypeStaticHtml,
        ]
        return options
      },
      esbuildOptions(options) {
        options.minify = process.env.NODE_ENV === 'production'
        options.target = 'es2022'
        options.logLevel = 'silent'
        return options
      },
    })
  } catch (error) {
    if (report.errors.length > 0) throw new LessonCompileError(file, report.errors)
    const errors = (error as { errors?: { text: string; location?: { line: number } }[] }).errors
    const reasons = errors?.length
      ? errors.map((e) => `${e.text}${e.location ? ` (line ${e.location.line})` : ''}`)
      : [(error as Error).message.split('\n')[0] ?? 'MDX compilation failed']
    throw new LessonCompileError(file, [...report.errors, ...reasons])
  }
  if (report.errors.length > 0) throw new LessonCompileError(file, report.errors)
  return { code: result.code, toc: report.toc, exerciseRefs: report.exerciseRefs, openQuestionRefs: report.openQuestionRefs, links: report.links, mtimeMs }
}

function withDeadline<T>(promise: Promise<T>, file: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LessonCompileError(file, [`compilation took longer than ${compileTimeoutMs / 1000} s`])), compileTimeoutMs)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

const cache = new Map<string, Promise<CompiledLesson>>()

/** Compiles a lesson file's source, cached by file; recompiled when the file's mtime changes. */
export async function compileLesson(file: string, source: string): Promise<CompiledLesson> {
  const mtimeMs = fs.statSync(file).mtimeMs
  const cached = cache.get(file)
  if (cached) {
    const value = await cached.catch(() => null)
    if (value && value.mtimeMs === mtimeMs) return value
  }
  const pending = queue(() => withDeadline(compileSource(file, source, mtimeMs), file))
  cache.set(file, pending)
  pending.catch(() => {
    if (cache.get(file) === pending) cache.delete(file)
  })
  return pending
}
