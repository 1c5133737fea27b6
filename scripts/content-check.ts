// Validates every course and lesson; exits 1 with one line per problem (file: field: message).
import { loadContentTree } from '../lib/content/load.server'
import { contentRoot } from '../lib/content/root.server'
import { formatProblem } from '../lib/content/problems'
import { summaryLine, validateContent } from '../lib/content/validate.server'
import { messageKeyProblems } from '../lib/checks/message-keys'

const root = process.argv[2] ?? contentRoot()
const tree = loadContentTree(root)
const report = await validateContent(tree)
// Which assertions a check reports is the check engine's knowledge (lib/checks), which lib/content may not import.
const problems = [...report.problems, ...messageKeyProblems(tree.courses.flatMap((c) => c.lessons))]
const { summary } = report
for (const problem of problems) console.error(formatProblem(problem))
if (problems.length > 0) console.error(`\n${problems.length} problem${problems.length > 1 ? 's' : ''} found`)
console.log(summaryLine(summary))
process.exit(problems.length > 0 ? 1 : 0)
