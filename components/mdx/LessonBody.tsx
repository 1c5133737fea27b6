import { getMDXComponent } from 'mdx-bundler/client'
import { Callout } from './Callout'
import { CodeBlock } from './CodeBlock'
import { ExerciseRef } from './ExerciseRef'
import { Mermaid } from './Mermaid'
import { OpenQuestion } from '@/components/open-questions/OpenQuestion'
import { StaticHtml } from './StaticHtml'
import { Tab, Tabs } from './Tabs'

const components = { Callout, Tabs, Tab, Exercise: ExerciseRef, OpenQuestion, Mermaid, StaticHtml, pre: CodeBlock }

// Evaluating a bundle is cheap but not free: keep one component per compiled code string.
const rendered = new Map<string, ReturnType<typeof getMDXComponent>>()

export function LessonBody({ code }: { code: string }) {
  let Component = rendered.get(code)
  if (!Component) {
    Component = getMDXComponent(code)
    if (rendered.size > 200) rendered.clear()
    rendered.set(code, Component)
  }
  return (
    <div className="lesson-prose prose prose-slate max-w-none prose-headings:scroll-mt-20 prose-a:text-brand-700">
      {/* eslint-disable-next-line react-hooks/static-components -- a server component, cached per compiled lesson above: it holds no state to reset */}
      <Component components={components as never} />
    </div>
  )
}
