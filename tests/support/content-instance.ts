// A second web instance for the content reload test: its own process and memory, the same
// database and content folder. It prints the lesson's title at start and at each change.
//   tsx --import ./scripts/node/register.mjs tests/support/content-instance.ts <course> <lesson> <seconds>
import { getContentTree } from '../../lib/content/lessons.server'

const [course, lesson, seconds] = process.argv.slice(2)
const title = () => getContentTree().courses.find((c) => c.slug === course)?.lessons.find((l) => l.slug === lesson)?.frontmatter?.title ?? null
let last = title()
console.log(JSON.stringify({ title: last, at: Date.now() }))
const end = Date.now() + Number(seconds) * 1000
const timer = setInterval(() => {
  const now = title()
  if (now !== last) console.log(JSON.stringify({ title: (last = now), at: Date.now() }))
  if (Date.now() > end) {
    clearInterval(timer)
    process.exit(0)
  }
}, 100)
