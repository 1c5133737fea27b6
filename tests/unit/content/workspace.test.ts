// A lesson's workspace: its shared starter folders (content/shared/<name>, named in the
// frontmatter's sharedWorkspace) with its own workspace/ laid over them, as plain files for
// seeding (lib/sandbox/lesson-files.server.ts copyLessonFiles).
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadContentTree } from '@/lib/content/load.server'
import { formatProblem } from '@/lib/content/problems'
import { validateContent } from '@/lib/content/validate.server'
import { lessonWorkspace } from '@/lib/content/workspace'

const fixtures = path.join(import.meta.dirname, '..', '..', 'fixtures')

/** Each entry as "kind mode path-in-the-lesson-folder <- where its bytes come from". */
function seeded(root: string, key: string): string[] {
  const lesson = loadContentTree(root).courses.flatMap((c) => c.lessons).find((l) => l.key === key)
  if (!lesson) throw new Error(`no lesson ${key}`)
  return lessonWorkspace(lesson).map((e) => `${e.kind} ${e.mode.toString(8)} ${e.rel} <- ${path.relative(root, e.full)}`)
}

describe('shared starter folders', () => {
  const root = path.join(fixtures, 'content-shared')
  // shared/starter as every lesson that names it alone gets it.
  const starter = [
    'dir 755 app <- shared/starter/app',
    'dir 755 app/bin <- shared/starter/app/bin',
    'file 755 app/bin/run.sh <- shared/starter/app/bin/run.sh',
    'file 644 app/package.json <- shared/starter/app/package.json',
    'file 644 app/server.js <- shared/starter/app/server.js',
  ]

  it('validates: lessons of two courses name the same folder', async () => {
    const { problems } = await validateContent(loadContentTree(root))
    expect(problems.map((p) => formatProblem(p, root))).toEqual([])
  })

  it('seeds the shared folder, then the lesson\'s own files, folders before what they hold', () => {
    expect(seeded(root, 'alpha/premier')).toEqual([...starter, 'file 644 compose.yaml <- courses/alpha/premier/workspace/compose.yaml'])
  })

  it('lays several shared folders in order, and the lesson\'s own file takes the place of a shared one', () => {
    expect(seeded(root, 'alpha/second')).toEqual([
      'dir 755 app <- courses/alpha/second/workspace/app',
      'dir 755 app/bin <- shared/starter/app/bin',
      'file 755 app/bin/run.sh <- shared/starter/app/bin/run.sh',
      'file 644 app/package.json <- courses/alpha/second/workspace/app/package.json',
      'file 644 app/server.js <- shared/starter/app/server.js',
      'file 644 Dockerfile <- shared/starter-image/Dockerfile',
    ])
  })

  it('serves a lesson of another course, and one without a workspace/ of its own', () => {
    expect(seeded(root, 'beta/troisieme')).toEqual(starter)
  })

  it('names the lesson file and the field of a missing folder, a path, a copy and a file-folder clash', async () => {
    const broken = path.join(fixtures, 'content-broken')
    const { problems } = await validateContent(loadContentTree(broken))
    expect(problems.filter((p) => p.file.includes('/partage-')).map((p) => formatProblem(p, broken))).toEqual([
      `courses/bad/partage-absent/lesson.mdx: sharedWorkspace[0]: no shared folder "absent": ${path.relative(process.cwd(), path.join(broken, 'shared', 'absent'))}/ does not exist`,
      'courses/bad/partage-chemin/lesson.mdx: sharedWorkspace[0]: must be the name of a folder of content/shared/ (lower-case words joined by "-"), not a path',
      'courses/bad/partage-copie/lesson.mdx: sharedWorkspace: courses/bad/partage-copie/workspace/app/server.js is the same as shared/base/app/server.js, which the lesson already gets: delete the copy',
      'courses/bad/partage-copie/lesson.mdx: sharedWorkspace: "config" is a file in shared/base/config but a folder in courses/bad/partage-copie/workspace/config: one path cannot be both',
    ])
    // A lesson whose shared folder is missing seeds what it has, never a path outside content/shared/.
    expect(seeded(broken, 'bad/partage-absent')).toEqual([])
    expect(seeded(broken, 'bad/partage-chemin')).toEqual([])
  })

  it('seeds one kind at a clashing path: the later folder\'s, without what the earlier one held there', () => {
    expect(seeded(path.join(fixtures, 'content-broken'), 'bad/partage-copie')).toEqual([
      'dir 755 app <- courses/bad/partage-copie/workspace/app',
      'file 644 app/server.js <- courses/bad/partage-copie/workspace/app/server.js',
      'dir 755 config <- courses/bad/partage-copie/workspace/config',
      'file 644 config/app.env <- courses/bad/partage-copie/workspace/config/app.env',
    ])
  })
})
