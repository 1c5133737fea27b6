/**
 * A run of a lesson's plain markup, rendered by the compiler (rehypeStaticHtml in
 * lib/content/mdx-plugins.ts) from the author's MDX, never from a learner's input. `contents`:
 * the wrapper makes no box, so the prose styles lay its blocks out as the body's own.
 */
export function StaticHtml({ html }: { html: string }) {
  return <div className="contents" dangerouslySetInnerHTML={{ __html: html }} />
}
